// Console strings: Simplified Chinese by default, English switchable.
// The choice is kept in localStorage so it survives a reload and a new login.

const STORAGE_KEY = "xiaowu.seat.lang";
export const LANGS = ["zh-CN", "en"];

const zh = {
  "app.title": "晓屋 · 云坐席",
  "app.brand": "晓屋云坐席",
  "app.subtitle": "远程视频政务服务",
  "lang.switch": "English",
  "lang.switch.title": "Switch to English",

  "login.heading": "坐席登录",
  "login.username": "用户名",
  "login.password": "密码",
  "login.submit": "登录",
  "login.busy": "正在登录…",
  "login.error.credentials": "用户名或密码错误，请重新输入。",
  "login.error.throttled": "登录失败次数过多，请 {s} 秒后再试。",
  "login.error.role": "该账号不是坐席账号，无法登录云坐席。",
  "login.error.network": "无法连接服务器，请检查网络后重试。",
  "login.error.server": "服务器出错（{code}），请稍后再试。",
  "login.error.expired": "登录已过期，请重新登录。",
  "login.error.revoked": "账号已被停用，请联系管理员。",
  "login.error.replaced": "该账号已在其他地方登录，本页已退出。",
  "login.error.empty": "请输入用户名和密码。",
  "login.hint": "请使用管理员分配的坐席账号登录。",

  "header.agent": "坐席",
  "header.logout": "退出",
  "header.state": "当前状态",

  "state.offline": "离线",
  "state.available": "空闲可接",
  "state.offered": "振铃中",
  "state.in_call": "通话中",
  "state.wrap_up": "话后处理",
  "state.away": "暂离",

  "switch.available": "置为空闲",
  "switch.away": "暂离",

  "conn.connecting": "正在连接服务器…",
  "conn.reconnecting": "与服务器的连接中断，正在重连（第 {n} 次）…",
  "conn.offline": "未连接",

  "idle.available.title": "等待来电",
  "idle.available.body": "有群众取号后将自动为您振铃。",
  "idle.away.title": "您处于暂离状态",
  "idle.away.body": "点击右上角“置为空闲”开始接听。",
  "idle.wrap_up.title": "话后处理中",
  "idle.wrap_up.body": "点击“置为空闲”继续接听。",
  "idle.offline.title": "未连接",
  "idle.offline.body": "正在连接服务器…",
  "idle.count": "今日已办",
  "idle.avg": "平均通话时长",
  "idle.waiting": "全部排队",

  "offer.title": "来电",
  "offer.ticket": "票号",
  "offer.service": "事项",
  "offer.department": "部门",
  "offer.booth": "服务点",
  "offer.region": "地区",
  "offer.waited": "已等候",
  "offer.priority": "优先",
  "offer.accept": "接听",
  "offer.decline": "拒绝",
  "offer.countdown": "{s} 秒内未接听将转给其他坐席",
  "offer.withdrawn": "来电 {number} 已撤回。",
  "offer.gone": "该来电已失效。",

  "call.ticket": "票号 {number}",
  "call.timer": "通话时长",
  "call.mute": "静音",
  "call.unmute": "取消静音",
  "call.camera_off": "关闭摄像头",
  "call.camera_on": "打开摄像头",
  "call.end": "结束通话",
  "call.transfer": "转办",
  "call.transfer.to": "转至部门",
  "call.transfer.choose": "请选择部门",
  "call.transfer.note": "转办说明（可选）",
  "call.transfer.submit": "确认转办",
  "call.transfer.cancel": "取消",
  "call.transfer.done": "已转至 {dept}。",
  "call.connecting": "正在建立视频连接…",
  "call.reconnecting": "重新连接中…",
  "call.peer_away": "（对方网络中断）",
  "call.no_local_media": "未能打开本机摄像头或麦克风：只接收对方音视频。",
  "call.self": "本人",
  "call.waiting_video": "等待对方视频…",

  "stats.title": "通话质量",
  "stats.loss": "丢包率",
  "stats.rtt": "往返时延",
  "stats.bitrate": "接收码率",
  "stats.frames": "已解码帧",
  "stats.quality.good": "良好",
  "stats.quality.fair": "一般",
  "stats.quality.poor": "较差",
  "stats.quality.unknown": "—",

  "wrapup.title": "话后处理",
  "wrapup.summary": "{number} · {service} · 时长 {duration}",
  "wrapup.notes": "服务小结（仅保存在本机浏览器）",
  "wrapup.notes.placeholder": "记录办理结果、需补交的材料等…",
  "wrapup.remaining": "{s} 秒后自动转为空闲",
  "wrapup.remaining_unknown": "等待系统转为空闲",
  "wrapup.done": "完成",
  "wrapup.auto": "话后处理时间已到，已自动转为空闲。",

  "queue.title": "排队概况",
  "queue.department": "部门",
  "queue.waiting": "等候",
  "queue.oldest": "最久等候",
  "queue.agents": "空闲坐席",
  "queue.empty": "暂无排队数据",

  "history.title": "今日已办",
  "history.empty": "本次登录尚未办理业务",
  "history.duration": "时长",
  "history.count": "共 {n} 件",

  "ended.hangup.agent": "坐席挂断",
  "ended.hangup.booth": "群众挂断",
  "ended.transferred": "已转办",
  "ended.hub": "连接中断",
  "ended.other": "已结束",

  "error.conflict": "当前状态不允许此操作。",
  "error.not_found": "对象不存在或已失效。",
  "error.forbidden": "无权执行此操作。",
  "error.rate_limited": "操作过于频繁，请稍候。",
  "error.disconnected": "与服务器的连接已断开。",
  "error.timeout": "服务器无响应，请重试。",
  "error.generic": "操作失败：{message}",
};

const en = {
  "app.title": "Xiaowu · Cloud Seat",
  "app.brand": "Xiaowu Cloud Seat",
  "app.subtitle": "Remote video government services",
  "lang.switch": "中文",
  "lang.switch.title": "切换到中文",

  "login.heading": "Agent sign-in",
  "login.username": "Username",
  "login.password": "Password",
  "login.submit": "Sign in",
  "login.busy": "Signing in…",
  "login.error.credentials": "Wrong username or password. Please try again.",
  "login.error.throttled": "Too many failed sign-ins. Try again in {s} s.",
  "login.error.role": "This account is not an agent account.",
  "login.error.network": "Cannot reach the server. Check the network and retry.",
  "login.error.server": "Server error ({code}). Please try again later.",
  "login.error.expired": "Your session has expired. Please sign in again.",
  "login.error.revoked": "The account was disabled. Contact the administrator.",
  "login.error.replaced": "This account signed in somewhere else; this page was signed out.",
  "login.error.empty": "Enter your username and password.",
  "login.hint": "Use the agent account your administrator gave you.",

  "header.agent": "Agent",
  "header.logout": "Sign out",
  "header.state": "State",

  "state.offline": "Offline",
  "state.available": "Available",
  "state.offered": "Ringing",
  "state.in_call": "In call",
  "state.wrap_up": "Wrap-up",
  "state.away": "Away",

  "switch.available": "Go available",
  "switch.away": "Away",

  "conn.connecting": "Connecting to the server…",
  "conn.reconnecting": "Connection to the server lost, reconnecting (attempt {n})…",
  "conn.offline": "Not connected",

  "idle.available.title": "Waiting for calls",
  "idle.available.body": "You will be rung as soon as a resident takes a ticket.",
  "idle.away.title": "You are away",
  "idle.away.body": "Press “Go available” (top right) to take calls.",
  "idle.wrap_up.title": "Wrap-up",
  "idle.wrap_up.body": "Press “Go available” to take the next call.",
  "idle.offline.title": "Not connected",
  "idle.offline.body": "Connecting to the server…",
  "idle.count": "Handled today",
  "idle.avg": "Average call",
  "idle.waiting": "Waiting in all queues",

  "offer.title": "Incoming call",
  "offer.ticket": "Ticket",
  "offer.service": "Service",
  "offer.department": "Department",
  "offer.booth": "Booth",
  "offer.region": "Region",
  "offer.waited": "Waited",
  "offer.priority": "Priority",
  "offer.accept": "Accept",
  "offer.decline": "Decline",
  "offer.countdown": "Passed to another agent in {s} s",
  "offer.withdrawn": "Call {number} was withdrawn.",
  "offer.gone": "This call is no longer available.",

  "call.ticket": "Ticket {number}",
  "call.timer": "Duration",
  "call.mute": "Mute",
  "call.unmute": "Unmute",
  "call.camera_off": "Camera off",
  "call.camera_on": "Camera on",
  "call.end": "End call",
  "call.transfer": "Transfer",
  "call.transfer.to": "Transfer to",
  "call.transfer.choose": "Choose a department",
  "call.transfer.note": "Note (optional)",
  "call.transfer.submit": "Transfer",
  "call.transfer.cancel": "Cancel",
  "call.transfer.done": "Transferred to {dept}.",
  "call.connecting": "Connecting video…",
  "call.reconnecting": "Reconnecting…",
  "call.peer_away": "(the booth lost its connection)",
  "call.no_local_media": "Could not open the camera or microphone: receiving only.",
  "call.self": "You",
  "call.waiting_video": "Waiting for the booth's video…",

  "stats.title": "Call quality",
  "stats.loss": "Packet loss",
  "stats.rtt": "Round trip",
  "stats.bitrate": "Receive rate",
  "stats.frames": "Frames decoded",
  "stats.quality.good": "Good",
  "stats.quality.fair": "Fair",
  "stats.quality.poor": "Poor",
  "stats.quality.unknown": "—",

  "wrapup.title": "Wrap-up",
  "wrapup.summary": "{number} · {service} · {duration}",
  "wrapup.notes": "Notes (kept in this browser only)",
  "wrapup.notes.placeholder": "Outcome, documents still missing…",
  "wrapup.remaining": "Available again in {s} s",
  "wrapup.remaining_unknown": "Waiting for the hub to make you available",
  "wrapup.done": "Done",
  "wrapup.auto": "Wrap-up time is over; you are available again.",

  "queue.title": "Queues",
  "queue.department": "Department",
  "queue.waiting": "Queue",
  "queue.oldest": "Oldest",
  "queue.agents": "Free",
  "queue.empty": "No queue data yet",

  "history.title": "Handled today",
  "history.empty": "No calls handled in this session yet",
  "history.duration": "Duration",
  "history.count": "{n} in total",

  "ended.hangup.agent": "Ended by agent",
  "ended.hangup.booth": "Ended by resident",
  "ended.transferred": "Transferred",
  "ended.hub": "Connection lost",
  "ended.other": "Ended",

  "error.conflict": "Not possible in the current state.",
  "error.not_found": "It no longer exists.",
  "error.forbidden": "Not allowed.",
  "error.rate_limited": "Too many actions; please wait a moment.",
  "error.disconnected": "Not connected to the server.",
  "error.timeout": "The server did not answer; please retry.",
  "error.generic": "Failed: {message}",
};

const DICTS = { "zh-CN": zh, en };

export function loadLang() {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch (_) { /* storage disabled: use the default */ }
  return "zh-CN";
}

export function saveLang(lang) {
  try { localStorage.setItem(STORAGE_KEY, lang); } catch (_) { /* ignore */ }
}

/** Translate `key` in `lang`, filling `{name}` placeholders from `params`. */
export function translate(lang, key, params = {}) {
  const dict = DICTS[lang] || zh;
  const text = dict[key] ?? zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

/** Fill every `[data-i18n]` (text) and `[data-i18n-placeholder]` / `-title` under `root`. */
export function applyStatic(root, lang) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = translate(lang, el.dataset.i18n);
  }
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = translate(lang, el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) {
    el.title = translate(lang, el.dataset.i18nTitle);
  }
}
