"""Every string the kiosk shows, keyed; Simplified Chinese first, English second.

The engine speaks in keys (``BoothView.notice`` is ``"notice.ticket_lost"``,
the bad-review reasons are ``session.BAD_REVIEW_REASONS``) and the kiosk turns
them into words here, so adding a language is adding one column.

:func:`tr` never raises for a missing key: a key the kiosk does not know (a
newer engine's notice, say) falls back to Chinese and then to the key itself,
because a resident is better served by an odd word than by a crashed booth.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Lang", "LANGS", "STRINGS", "tr", "other_lang", "has_key"]

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

# key -> (zh, en)
_TABLE: dict[str, tuple[str, str]] = {
    # the language toggle names the language it switches *to*
    "lang.toggle": ("English", "中文"),
    # status bar
    "status.brand": ("晓屋", "Xiaowu"),
    "status.booth_unknown": ("政务服务终端", "Service booth"),
    "status.online": ("已连接", "Online"),
    "status.connecting": ("连接中…", "Connecting…"),
    "status.reconnecting": ("正在重新连接…", "Reconnecting…"),
    "status.offline": ("未连接", "Offline"),
    # connecting / disabled / unenrolled
    "connecting.title": ("正在连接服务中心…", "Connecting to the service centre…"),
    "connecting.hint": ("请稍候", "Please wait a moment"),
    "disabled.title": ("本服务终端已停用，请联系管理员",
                       "This booth has been disabled. Please contact the administrator."),
    "disabled.hint": ("给您带来不便，敬请谅解", "We are sorry for the inconvenience."),
    "unenrolled.title": ("本终端尚未登记，请联系管理员",
                         "This booth is not registered yet. Please contact the administrator."),
    "unenrolled.hint": ("登记完成后即可使用", "It can be used once it is registered."),
    # welcome
    "welcome.title": ("欢迎使用晓屋政务服务", "Welcome to Xiaowu government services"),
    "welcome.subtitle": ("工作人员通过视频，面对面为您办理业务",
                         "A service agent helps you face to face over video"),
    "welcome.start": ("开始办理", "Start"),
    "welcome.step1": ("选择事项", "Choose a service"),
    "welcome.step2": ("取号等候", "Take a ticket"),
    "welcome.step3": ("视频办理", "Talk to an agent"),
    # choosing
    "choose.department": ("请选择办事部门", "Choose a department"),
    "choose.service": ("请选择办理事项", "Choose a service"),
    "choose.materials": ("办理所需材料（一次告知）", "Materials you need"),
    "choose.materials_hint": ("请备好以下材料，办理时放在高拍仪下即可",
                              "Have these ready; you will hold them under the document camera"),
    "choose.services_count": ("{n} 项服务", "{n} services"),
    "choose.materials_count": ("需准备 {n} 项材料", "{n} documents needed"),
    "choose.loading": ("正在加载服务目录…", "Loading the list of services…"),
    "choose.back": ("返回上一步", "Back"),
    "choose.home": ("返回首页", "Home"),
    "choose.take_ticket": ("取号", "Take a ticket"),
    "choose.taking": ("正在取号…", "Taking a ticket…"),
    "choose.take_hint": ("取号后请在屏幕前稍候，轮到您时自动接通视频",
                         "Then wait here: the video call starts when it is your turn"),
    # waiting
    "wait.your_number": ("您的号码", "Your number"),
    "wait.ahead": ("前面还有 {n} 人", "{n} people ahead"),
    "wait.ahead_one": ("前面还有 1 人", "1 person ahead"),
    "wait.next": ("下一位就是您", "You are next"),
    "wait.eta": ("预计等待 {m} 分钟", "About {m} min"),
    "wait.connecting": ("正在为您接通…", "Connecting you to an agent…"),
    "wait.hint": ("请在屏幕前稍候，轮到您时会自动接通视频",
                  "Please stay near the screen; the video call starts by itself"),
    "wait.cancel": ("取消排队", "Cancel"),
    # call
    "call.agent": ("服务人员：{name}", "Agent: {name}"),
    "call.duration": ("通话时长", "Call time"),
    "call.hang_up": ("挂断", "Hang up"),
    "call.connecting": ("正在为您接通…", "Connecting…"),
    "call.waiting_video": ("等待对方画面…", "Waiting for video…"),
    "call.reconnecting": ("连接不稳定，正在重新连接…", "Reconnecting…"),
    "call.peer_away": ("对方网络中断，请稍候…",
                       "The agent's connection dropped, please wait…"),
    "call.self": ("本人画面", "You"),
    "call.no_camera": ("摄像头不可用", "Camera unavailable"),
    "call.hint": ("请面对屏幕，按工作人员的提示出示材料",
                  "Face the screen and show documents when the agent asks"),
    # rating (好差评): 5 非常满意 … 1 非常不满意, DESIGN.md §4
    "rate.title": ("请对本次服务进行评价", "Please rate this service"),
    "rate.subtitle": ("您的评价将帮助我们改进服务", "Your answer helps us improve"),
    "rate.5": ("非常满意", "Very satisfied"),
    "rate.4": ("满意", "Satisfied"),
    "rate.3": ("基本满意", "Fairly satisfied"),
    "rate.2": ("不满意", "Dissatisfied"),
    "rate.1": ("非常不满意", "Very dissatisfied"),
    "rate.reasons": ("请选择不满意的原因（可多选）", "What went wrong? (choose any)"),
    "rate.submit": ("提交评价", "Submit"),
    "rate.skip": ("跳过", "Skip"),
    "reason.attitude": ("服务态度差", "Poor attitude"),
    "reason.waiting": ("等待时间长", "Long wait"),
    "reason.unclear": ("解释不清楚", "Unclear answers"),
    "reason.not_solved": ("问题未解决", "Not solved"),
    "reason.technical": ("设备或网络问题", "Device / network"),
    "reason.other": ("其他", "Other"),
    # thanks
    "thanks.title": ("感谢您的评价！", "Thank you for your feedback!"),
    "thanks.subtitle": ("欢迎再次使用晓屋政务服务", "You are welcome back any time"),
    "thanks.done": ("返回首页", "Done"),
    # notices (BoothView.notice)
    "notice.ticket_lost": ("连接中断，排队号已失效，请重新取号",
                           "The connection dropped and your ticket expired. "
                           "Please take a new ticket."),
    "notice.service_unavailable": ("该事项暂不可办理，请选择其他事项",
                                   "This service is not available now. "
                                   "Please choose another one."),
    "notice.try_again": ("暂时无法取号，请稍后再试",
                         "Could not take a ticket. Please try again."),
    "notice.offline": ("网络未连接，请稍后再试",
                       "No network connection. Please try again shortly."),
}

STRINGS: dict[Lang, dict[str, str]] = {
    "zh": {k: v[0] for k, v in _TABLE.items()},
    "en": {k: v[1] for k, v in _TABLE.items()},
}


def has_key(key: str) -> bool:
    return key in _TABLE


def tr(key: str, lang: Lang = "zh", **values: object) -> str:
    """The text for ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    text = STRINGS[lang].get(key) or STRINGS["zh"].get(key) or key
    return text.format(**values) if values else text


def other_lang(lang: Lang) -> Lang:
    return "en" if lang == "zh" else "zh"
