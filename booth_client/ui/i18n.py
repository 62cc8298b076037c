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
    "choose.take_priority": ("优先取号", "Priority ticket"),
    "choose.priority_hint": ("70 岁以上老人、残疾人、孕妇等可优先办理",
                             "For people over 70, with a disability, or pregnant"),
    "choose.taking": ("正在取号…", "Taking a ticket…"),
    "choose.take_hint": ("取号后请在屏幕前稍候，轮到您时自动接通视频",
                         "Then wait here: the video call starts when it is your turn"),
    # waiting
    "wait.your_number": ("您的号码", "Your number"),
    "wait.priority": ("优先办理", "Priority"),
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
    # documents during the call (BoothView.document; keys from booth_client.assist)
    "doc.title": ("请出示材料", "Please show a document"),
    "doc.kind.id_front": ("身份证人像面", "ID card, photo side"),
    "doc.kind.id_back": ("身份证国徽面", "ID card, emblem side"),
    "doc.kind.household_register": ("户口簿", "Household register"),
    "doc.kind.certificate": ("证书", "Certificate"),
    "doc.kind.form": ("表格", "Form"),
    "doc.kind.other": ("材料", "Document"),
    "doc.instruction.id_front": ("请把身份证人像面朝上，放在取景框内",
                                 "Put your ID card photo side up inside the frame"),
    "doc.instruction.id_back": ("请把身份证国徽面朝上，放在取景框内",
                                "Put your ID card emblem side up inside the frame"),
    "doc.instruction.household_register": ("请把户口簿翻到本人页，平放在取景框内",
                                           "Open the household register at your page and "
                                           "lay it flat inside the frame"),
    "doc.instruction.certificate": ("请把证书平放在取景框内",
                                    "Lay the certificate flat inside the frame"),
    "doc.instruction.form": ("请把表格平放在取景框内", "Lay the form flat inside the frame"),
    "doc.instruction.other": ("请按工作人员的要求放好材料",
                              "Place the document as the agent asks"),
    "doc.ready": ("放好了，开始拍摄", "Ready, take the picture"),
    "doc.countdown": ("{n} 秒后自动拍摄", "Taking the picture in {n} s"),
    "doc.capturing": ("正在拍摄，请不要移动材料…", "Taking the picture. Keep the document still…"),
    "doc.attempt": ("第 {n} 次，共 {m} 次", "Try {n} of {m}"),
    "doc.retrying": ("{n} 秒后重新拍摄", "Trying again in {n} s"),
    "doc.uploading": ("正在发送给工作人员…", "Sending it to the agent…"),
    "doc.submitted": ("已发送，请等待工作人员查看", "Sent. The agent is looking at it."),
    "doc.accepted": ("材料已通过", "Document accepted"),
    "doc.rescan": ("工作人员请您重新拍摄", "The agent asks you to take it again"),
    "doc.cancel": ("取消拍摄", "Cancel"),
    "doc.dismiss": ("知道了", "OK"),
    "doc.quality.blurry": ("照片有点模糊，请把材料放平，不要移动",
                           "The picture is blurred. Lay the document flat and keep it still."),
    "doc.quality.too_dark": ("光线太暗，请把材料移到亮一点的地方",
                             "Too dark. Move the document into the light."),
    "doc.quality.glare": ("有反光，请稍微调整材料的角度",
                          "There is glare. Tilt the document a little."),
    "doc.quality.no_page": ("没有找到材料，请把材料放在取景框内",
                            "No document found. Put it inside the frame."),
    "doc.quality.other": ("照片不够清楚，请重新放好材料",
                          "The picture is not clear. Please place the document again."),
    "doc.retry.busy": ("高拍仪正忙，马上重试", "The scanner is busy. Trying again shortly."),
    "doc.error.no_device": ("没有检测到高拍仪，请告诉工作人员",
                            "No document scanner found. Please tell the agent."),
    "doc.error.busy": ("高拍仪正忙，请告诉工作人员",
                       "The scanner is busy. Please tell the agent."),
    "doc.error.jammed": ("纸张卡住了，请告诉工作人员",
                         "The paper is jammed. Please tell the agent."),
    "doc.error.no_documents": ("没有检测到材料，请放好后告诉工作人员",
                               "No document found. Put it in place and tell the agent."),
    "doc.error.cover_open": ("扫描仪的盖子没有盖好，请盖好后告诉工作人员",
                             "The scanner lid is open. Close it and tell the agent."),
    "doc.error.timeout": ("没有拍到材料，请放好后告诉工作人员",
                          "No document was found in time. Put it in place and tell the agent."),
    "doc.error.quality": ("照片还是不够清楚，请告诉工作人员",
                          "The picture is still not clear. Please tell the agent."),
    "doc.error.upload": ("材料没有发送成功，请告诉工作人员",
                         "The document could not be sent. Please tell the agent."),
    "doc.error.cancelled": ("已取消拍摄", "Cancelled"),
    "doc.error.error": ("拍摄出了问题，请告诉工作人员",
                        "Something went wrong. Please tell the agent."),
    # face check (BoothView.face)
    "face.title": ("人脸核验", "Face verification"),
    "face.step.baseline": ("请看镜头", "Look at the camera"),
    "face.step.blink": ("请眨眨眼", "Please blink"),
    "face.step.turn_left": ("请向左转头", "Turn your head to the left"),
    "face.step.turn_right": ("请向右转头", "Turn your head to the right"),
    "face.step.open_mouth": ("请张张嘴", "Open your mouth"),
    "face.guide": ("请把脸放在框内", "Keep your face inside the oval"),
    "face.step_of": ("第 {n} 步，共 {m} 步", "Step {n} of {m}"),
    "face.sending": ("正在发送…", "Sending…"),
    "face.judging": ("正在核验，请稍候…", "Checking, please wait…"),
    "face.done": ("核验已提交，请等待工作人员确认",
                  "Submitted. Please wait for the agent to confirm."),
    "face.decided": ("核验完成", "Verification complete"),
    "face.failed": ("核验没有完成，请等待工作人员重新开始",
                    "The check did not finish. The agent will start it again."),
    "face.wait_agent": ("请稍候，工作人员会重新开始核验",
                        "Please wait: the agent will start the check again."),
    "face.hint.no_face": ("没有看到您的脸，请正对屏幕",
                          "We cannot see your face. Please face the screen."),
    "face.hint.many_faces": ("画面里有多个人，请只留您一人在镜头前",
                             "More than one person is in view. Please stay alone in front "
                             "of the camera."),
    "face.hint.too_small": ("请靠近一点", "Please come a little closer."),
    "face.hint.not_frontal": ("请正对镜头", "Please look straight at the camera."),
    "face.hint.blurry": ("请保持不动", "Please keep still."),
    "face.hint.liveness": ("请按屏幕提示做动作", "Please do what the screen asks."),
    "face.hint.other": ("请按工作人员的提示重新核验", "Please follow the agent's instructions."),
    # remote assist (BoothView.remote; issue 7)
    "remote.consent.title.screen": ("共享屏幕", "Share your screen"),
    "remote.consent.title.control": ("协助操作", "Help with the screen"),
    "remote.consent.question.screen": ("工作人员请求查看您的屏幕，以便指导您操作。\n是否同意？",
                                       "The agent asks to see your screen to guide you. "
                                       "Do you agree?"),
    "remote.consent.question.control": ("工作人员请求代您点击屏幕，帮您完成操作。\n是否同意？",
                                        "The agent asks to tap the screen for you. "
                                        "Do you agree?"),
    "remote.consent.detail.screen": ("工作人员只能看到这台机器屏幕上的内容。"
                                     "您可以随时点“停止共享”。",
                                     "The agent sees only this screen. You can press "
                                     "“Stop sharing” at any time."),
    "remote.consent.detail.control": ("工作人员每点一下，屏幕上都会显示出来。"
                                      "您可以随时点“收回控制”。",
                                      "You will see every tap the agent makes. You can press "
                                      "“Take back control” at any time."),
    "remote.consent.yes": ("同意", "Agree"),
    "remote.consent.no": ("不同意", "Decline"),
    "remote.consent.timeout": ("{n} 秒内不选择，视为不同意",
                               "No answer in {n} s counts as “Decline”"),
    "remote.bar.screen": ("工作人员正在查看您的屏幕", "The agent can see your screen"),
    "remote.bar.starting": ("正在开启屏幕共享…", "Starting to share your screen…"),
    "remote.bar.control": ("工作人员正在协助操作", "The agent is operating the screen for you"),
    "remote.bar.stop_share": ("停止共享", "Stop sharing"),
    "remote.bar.revoke_control": ("收回控制", "Take back control"),
    "remote.doc.title": ("工作人员正在为您讲解这份材料", "The agent is showing you this document"),
    "remote.doc.missing": ("这份材料的图片不在本机上",
                           "This document's picture is not on this booth"),
    "remote.doc.close": ("关闭", "Close"),
    "guide.ok": ("知道了", "OK"),
    "guide.done": ("已备好", "Ready"),
    "guide.todo": ("还需准备", "Still needed"),
    # forms pushed by the agent
    "form.waiting": ("之后还有 {n} 张表", "{n} more form(s) after this one"),
    "form.required": ("必填", "required"),
    "form.readonly": ("工作人员已填写", "filled in by the agent"),
    "form.tap_to_enter": ("点这里填写", "Tap to fill in"),
    "form.next": ("下一步：核对", "Next: check"),
    "form.review.title": ("请核对您填写的信息", "Please check what you entered"),
    "form.review.hint": ("请逐项看一遍，确认无误后再签名。", "Read every line, then sign."),
    "form.review.edit": ("返回修改", "Change something"),
    "form.review.confirm": ("确认无误，去签名", "All correct: sign"),
    "form.empty": ("（未填写）", "(empty)"),
    "form.sign.hint": ("请用手指在下面的白框里写下您的名字", "Write your name in the white box "
                                                             "with your finger"),
    "form.sign.clear": ("清除重写", "Clear"),
    "form.sign.back": ("返回核对", "Back"),
    "form.sign.submit": ("签好了，提交", "Signed: submit"),
    "form.submitting": ("正在提交，请稍候…", "Submitting, please wait…"),
    "form.submitted": ("已提交，工作人员已经收到", "Submitted: the agent has it"),
    "form.done": ("完成", "Done"),
    "form.retry": ("重新提交", "Try again"),
    "form.failed.network": ("网络不稳定，没有提交成功", "The network failed: not submitted"),
    "form.failed.closed": ("这张表已经提交过或已失效，请告诉工作人员",
                           "This form was already submitted or is closed. Please tell the "
                           "agent."),
    "form.failed.refused": ("提交没有成功，请告诉工作人员",
                            "Not submitted. Please tell the agent."),
    "form.failed.fields": ("有几项需要修改，请看红色的提示", "Some entries need a change: see "
                                                          "the red notes"),
    "form.error.required": ("这一项必须填写", "This one is required"),
    "form.error.type": ("填写的格式不对", "Not in the right form"),
    "form.error.too_short": ("写得太短了", "Too short"),
    "form.error.too_long": ("写得太长了", "Too long"),
    "form.error.choice": ("请从选项里选一个", "Please choose one of the options"),
    "form.error.id_number": ("身份证号码不对，请再核对一遍", "This ID number is not right; "
                                                             "please check it"),
    "form.error.phone": ("手机号码不对，应是 11 位数字", "Not a mobile number (11 digits)"),
    "form.error.date": ("日期不对，请按 1950-01-31 的样子填写", "Not a date; write it like "
                                                                "1950-01-31"),
    "form.error.range": ("数字超出了范围", "The number is out of range"),
    "form.error.integer": ("请填写整数", "Whole numbers only"),
    "form.error.control_char": ("有不能识别的字符", "Contains characters that are not allowed"),
    "form.error.readonly": ("这一项由工作人员填写", "The agent fills this one in"),
    "form.error.unknown": ("表里没有这一项", "Not a field of this form"),
    "form.range": ("可填 {lo} 到 {hi}", "From {lo} to {hi}"),
    "form.yes": ("是", "Yes"),
    "form.no": ("否", "No"),
    "form.tick": ("点一下打勾", "Tap to tick"),
    "kb.space": ("空格", "Space"),
    "kb.backspace": ("退格", "Delete"),
    "kb.clear": ("清空", "Clear"),
    "kb.letters": ("字母", "ABC"),
    "kb.digits": ("数字", "123"),
    "kb.done": ("收起键盘", "Hide keyboard"),
    "kb.hidden": ("（居民正在输入需要保密的内容，键盘不显示）",
                  "(The resident is typing something confidential: keyboard hidden)"),
    "kb.to_pinyin": ("拼音", "Pinyin"),
    "kb.pinyin_hint": ("打拼音，选汉字", "Type pinyin, pick a character"),
    "kb.chinese": ("写中文请点“拼音”，打拼音后点选汉字；也可以请工作人员帮您填写",
                   "For Chinese, tap Pinyin, type the pinyin and pick the characters; "
                   "or ask the agent to fill it in"),
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
