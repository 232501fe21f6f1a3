// kefu console: every label, enum value and message in Chinese and English.
// t('key') is the current language's text; label('Enum', 'ENUM_VALUE') an
// enum value's (the JSON API's names); a missing key shows as itself, which
// the browser test catches (no '⟨' in a page).
'use strict';

const KEFU_TEXT = {
  // the frame
  'console': ['客服工作台', 'Service desk'],
  'sign in': ['登录', 'Sign in'],
  'sign out': ['退出', 'Sign out'],
  'user': ['用户名', 'User'],
  'password': ['密码', 'Password'],
  'machine token': ['接口令牌（大屏、集成）', 'Machine token (wallboards, integrations)'],
  'use token': ['用令牌登录', 'Sign in with a token'],
  'use password': ['用账号登录', 'Sign in with an account'],
  'signed out idle': ['长时间未操作，已退出，请重新登录', 'Signed out after a while idle: sign in again'],
  'group': ['集团', 'the group'],
  'all estates': ['全部项目', 'All estates'],
  'language': ['English', '中文'],
  'live': ['实时', 'live'],
  'reconnecting': ['重连中', 'reconnecting'],
  'missed events': ['部分事件已错过，已刷新', 'Some events were missed: refreshed'],
  // tabs
  'tab tickets': ['工单', 'Tickets'],
  'tab file': ['登记', 'File'],
  'tab counter': ['收费', 'Counter'],
  'tab board': ['时限看板', 'SLA board'],
  'tab orders': ['派工', 'Orders'],
  'tab visits': ['回访', 'Visits'],
  'tab evaluation': ['测评', 'Evaluation'],
  'tab reports': ['报表', 'Reports'],
  'tab mine': ['我的工单', 'My orders'],
  'tab wall': ['总览', 'Overview'],
  'tab registers': ['登记簿', 'Registers'],
  'tab permits': ['放行条', 'Permits'],
  'tab violations': ['违章', 'Violations'],
  'tab duty': ['值班', 'Duty'],
  'tab renovations': ['装修', 'Renovations'],
  'tab messages': ['通知', 'Messages'],
  'messages title': ['通知记录：发给谁、何时、经什么渠道、是否送达', 'Messages: told to whom, when, how, and what failed'],
  'alarms only': ['仅看告警', 'Alarms only'], 'open alarms': ['未处理告警 {n} 条', '{n} open alarms'],
  'made': ['生成时间', 'Made'], 'about': ['事由', 'About'], 'recipient': ['接收人', 'To'], 'tries': ['尝试次数', 'Tries'],
  'sent at': ['送达时间', 'Sent'], 'send again': ['重新发送', 'Send again'], 'why': ['原因', 'Why'],
  'dismiss': ['不再发送', 'Dismiss'],
  'renovations title': ['装修申请与审核', 'Renovations'], 'applicant': ['申请人', 'Applicant'],
  'contractor': ['施工单位', 'Contractor'], 'plans': ['图纸链接（每行一个）', 'Plans (URLs, one a line)'],
  'workers': ['施工人员（姓名, 证件后四位, 电话；每行一人）', 'Workers (name, ID last four, phone; one a line)'],
  'apply': ['提交申请', 'Apply'], 'reviews due': ['审核期限', 'Reviews due'], 'patrols': ['巡查 完成/漏查', 'Patrols done/missed'],
  'first review': ['初审通过', 'Pass first review'], 'second review': ['复审通过', 'Pass second review'],
  'refuse': ['不通过', 'Refuse'], 'reason': ['理由', 'Reason'], 'work starts': ['开工', 'Work starts'],
  'finding': ['发现问题', 'Finding'], 'patrolled': ['已巡查', 'Patrolled'], 'inspected': ['竣工验收', 'Completion passed'],
  'duty title': ['值班记录与交接班', 'Duty log and handover'], 'shift': ['班次', 'Shift'], 'duty log': ['值班日志', 'Duty log'],
  'log it': ['记录', 'Log'], 'handover': ['交接班', 'Handover'], 'incoming staff': ['接班人工号', 'Incoming staff id'],
  'hand over': ['交班', 'Hand over'], 'take over': ['接班签字', 'Take over'], 'daily check': ['主管检查', 'Daily check'],
  'checked': ['已检查', 'Checked'], 'handed': ['交班', 'handed'], 'taken': ['接班', 'taken'],
  'targets missed': ['超时未办结', 'Targets missed'], 'talk title': ['客户访谈与沟通记录', 'Interviews and communications'],
  'what was said': ['沟通内容', 'What was said'], 'follow-up owner': ['跟进人工号', 'Follow-up by (staff id)'],
  'follow-up in days': ['跟进期限（天）', 'Follow-up within (days)'], 'record talk': ['登记沟通', 'Record'],
  'violations title': ['客户违章记录', 'Violations'], 'served to': ['整改通知送达', 'Notice served to'],
  'rectify in days': ['整改期限（天）', 'Put right within (days)'], 'what was seen': ['违章情况', 'What was seen'],
  'evidence': ['证据链接（每行一个）', 'Evidence URLs (one a line)'], 'record violation': ['登记违章', 'Record violation'],
  'recorded': ['已登记', 'Recorded'], 'nth of unit': ['该户第 {n} 次', 'the unit\'s no. {n}'],
  'open only': ['仅未整改', 'Open only'], 'nth': ['次数', 'No.'], 'rectify by': ['整改期限', 'Put right by'],
  'fine': ['罚款', 'Fine'], 'follow-up': ['跟进情况', 'Follow-up'], 'close it': ['已整改', 'Put right'],
  'save': ['保存', 'Save'], 'rule broken': ['违反条款', 'Rule broken'], 'fine it': ['罚款', 'Fine'],
  // the desk's registers and permits
  'registers title': ['钥匙、物品借用与寄存登记', 'Keys and items lent, things stored'],
  'lend': ['借出 / 寄存', 'Lend / store'], 'register': ['登记簿', 'Register'], 'tag': ['编号 / 名称', 'Tag'],
  'count': ['数量', 'Count'], 'person': ['借用人', 'Person'], 'or staff': ['或员工工号', 'or staff id'],
  'due in hours': ['归还时限（小时）', 'Due in (hours)'], 'default': ['默认', 'default'], 'note': ['备注', 'Note'],
  'lent': ['已登记', 'Lent'], 'lent to': ['借用人', 'Lent to'], 'out now': ['仅未归还', 'Out now only'], 'returned': ['已归还', 'Returned'],
  'return': ['归还', 'Return'], 'number': ['编号', 'Number'], 'lent at': ['借出时间', 'Lent'], 'state': ['状态', 'State'],
  'staff': ['员工', 'staff'], 'out overdue': ['未归还 {n} 件，其中超时 {m} 件', '{n} out now, {m} overdue'],
  'permits title': ['物资搬运放行条', 'Release permits'], 'owner or tenant': ['业主或租户', 'Owner or tenant'],
  'plate': ['车牌', 'Plate'], 'day': ['日期', 'Day'], 'items one a line': ['放行物品（每行一件）', 'Items (one a line)'],
  'items': ['物品', 'Items'], 'override reason': ['欠费放行理由（主管）', 'Override with arrears (supervisor): why'],
  'issue permit': ['开具放行条', 'Issue permit'], 'permit issued': ['已开具', 'Issued'],
  'permits of the day': ['当日放行条', 'Permits of the day'], 'let out': ['门岗放行', 'Let out at the gate'],
  // tickets
  'estate': ['项目', 'Estate'], 'status': ['状态', 'Status'], 'type': ['类型', 'Type'],
  'category': ['类别', 'Category'], 'unit': ['房号', 'Unit'], 'phone': ['电话', 'Phone'],
  'from': ['从', 'From'], 'to': ['至', 'To'], 'overdue': ['已超时', 'Overdue'],
  'search': ['搜索（描述、房号、报事人）', 'Search (description, unit, reporter)'],
  'find': ['查询', 'Find'], 'any': ['全部', 'Any'], 'more': ['下一页', 'Next page'],
  'ticket': ['工单号', 'Ticket'], 'filed at': ['登记时间', 'Filed'], 'priority': ['优先级', 'Priority'],
  'description': ['描述', 'Description'], 'reporter': ['报事人', 'Reporter'], 'channel': ['渠道', 'Channel'],
  'hazards': ['危险情况', 'Hazards'], 'photos': ['照片链接（每行一个）', "Photos' URLs (one a line)"],
  'n tickets': ['共 {n} 张工单', '{n} tickets'], 'none': ['无', 'none'],
  'timeline': ['处理记录', 'Timeline'], 'orders': ['派工单', 'Work orders'], 'clocks': ['时限', 'SLA clocks'],
  'visits': ['回访', 'Return visits'], 'earlier cases': ['该房号以往工单', "The unit's earlier cases"],
  'actions': ['操作', 'Actions'], 'note': ['备注', 'Note'], 'add note': ['添加备注', 'Add the note'],
  'close': ['办结', 'Close'], 'resolution': ['处理结果', 'Resolution'], 'reopen': ['重新打开', 'Reopen'],
  'cancel': ['撤销', 'Cancel'], 'reason': ['原因', 'Reason'], 'transfer': ['转部门', 'Transfer'],
  'to department': ['转至部门', 'To department'], 'pause': ['暂停', 'Pause'], 'resume': ['恢复', 'Resume'],
  'assign': ['派给', 'Assign'], 'assignee': ['处理人', 'Assignee'], 'queue': ['待派', 'waiting'],
  'target': ['目标', 'Target'], 'due': ['期限', 'Due'], 'left': ['剩余', 'Left'], 'level': ['级别', 'Level'],
  'department': ['部门', 'Department'], 'handler': ['处理人', 'Handler'], 'paused': ['已暂停', 'paused'],
  'met': ['已达成', 'met'], 'breached': ['已超时', 'breached'], 'running': ['计时中', 'running'],
  'actor': ['操作人', 'By'], 'when': ['时间', 'When'], 'what': ['事项', 'What'],
  'done': ['完成', 'Done'], 'to call': ['待回访', 'to call'], 'saved': ['已保存', 'Saved'], 'failed': ['未成功', 'Failed'],
  // filing
  'file title': ['登记报事', 'File a ticket'], 'file it': ['提交', 'File'],
  'caller lookup': ['来电查询', 'Caller lookup'], 'phone or unit': ['电话或房号', 'Phone or unit'],
  'nobody registered': ['档案中没有', 'Not in the register'], 'use': ['填入', 'Use'],
  'open tickets': ['未结工单', 'Open tickets'], 'recent cases': ['最近五件', 'Last five cases'], 'none': ['无', 'none'],
  'filed': ['已登记', 'Filed'], 'not filed': ['未登记', 'Not filed'], 'name': ['姓名', 'Name'],
  // counter
  'statement': ['对账单', 'Statement'], 'look up': ['查询', 'Look up'], 'balance': ['欠费', 'Owed'],
  'debit': ['应收', 'Charged'], 'credit': ['已收', 'Paid'], 'take payment': ['收款', 'Take a payment'],
  'amount': ['金额（元）', 'Amount (yuan)'], 'method': ['方式', 'Method'], 'reference': ['流水号', 'Reference'],
  'receipt': ['收据', 'Receipt'], 'receipt no': ['收据号', 'Receipt no.'], 'print': ['打印', 'Print'],
  'received': ['已收款', 'Received'], 'notices': ['缴费通知', 'Notices'],
  'cash': ['现金', 'cash'], 'wechat': ['微信', 'WeChat'], 'alipay': ['支付宝', 'Alipay'], 'card': ['银行卡', 'card'],
  // supervisor
  'board title': ['超时风险看板', 'SLA board'], 'escalated to me': ['升级到我的', 'Escalated to me'],
  'filter': ['筛选', 'Filter'], 'rows': ['{n} 项', '{n} rows'],
  'orders title': ['派工单', 'Work orders'], 'staff': ['人员', 'Staff'],
  'visits title': ['今日回访', 'Return visits to call'], 'reached': ['已联系上', 'Reached'],
  'satisfaction': ['满意度', 'Satisfaction'], 'score': ['评分', 'Score'], 'comment': ['意见', 'Comment'],
  'answer': ['记录结果', 'Record'], 'due before': ['截止', 'Due by'],
  'evaluation title': ['业主满意度测评', 'Owner evaluation'], 'year': ['年', 'Year'], 'quarter': ['季度', 'Quarter'],
  'drawn': ['抽样户数', 'Households drawn'], 'answered': ['已回收', 'Answered'],
  'not answered': ['未回收的住户', 'Households not yet answered'], 'closes': ['截止', 'Closes'],
  'reports title': ['报表', 'Reports'], 'report sla': ['准时率', 'On-time rate'],
  'report satisfaction dept': ['满意度（按部门）', 'Satisfaction by department'],
  'report satisfaction tech': ['满意度（按维修人员）', 'Satisfaction by technician'],
  'report collection': ['收缴率', 'Collection rate'], 'report daily': ['日报', 'Daily statistics'],
  'report pareto': ['问题帕累托图', 'Pareto of problems'], 'csv': ['下载 CSV', 'Download CSV'],
  'show': ['生成', 'Show'], 'key': ['分组', 'Group'], 'total': ['总数', 'Total'], 'on time': ['准时', 'On time'],
  'rate': ['比率', 'Rate'], 'billed': ['应收', 'Billed'], 'collected': ['实收', 'Collected'], 'count': ['数量', 'Count'],
  'cumulative': ['累计占比', 'Cumulative'], 'mean score': ['平均分', 'Mean score'], 'satisfied': ['满意', 'Satisfied'],
  'complaint handling': ['有效投诉处理率', 'Valid-complaint handling rate'], 'date': ['日期', 'Date'],
  'daily filed': ['新增', 'Filed'], 'daily closed': ['办结', 'Closed'], 'daily open': ['未结', 'Open at the end'],
  'daily complaints': ['投诉', 'Complaints'], 'daily repairs': ['报修', 'Repairs'], 'daily breaches': ['超时', 'Breaches'],
  'daily visits': ['回访', 'Visits done'], 'daily visits satisfied': ['回访满意', 'Visits satisfied'],
  'no daily': ['该日日报尚未生成', 'That day\'s statistics are not made yet'],
  // technician
  'mine title': ['我的工单', 'My orders'], 'accept': ['接单', 'Accept'], 'start': ['开始', 'Start'],
  'complete': ['完工', 'Complete'], 'labour': ['用时（分钟）', 'Labour (minutes)'], 'paid service': ['有偿服务', 'Paid service'],
  'nothing assigned': ['暂无派给你的工单', 'Nothing is assigned to you'],
  // technician: rounds (巡检)
  'my rounds': ['我的巡检', 'My rounds'], 'no rounds': ['暂无待做的巡检', 'No rounds to walk'],
  'start round': ['开始巡检', 'Start the round'], 'check in': ['签到', 'Check in'], 'checked in': ['已签到', 'Checked in'],
  'finish round': ['完成巡检', 'Finish the round'], 'nobody named': ['本部门待领', 'nobody named: anyone of it'],
  'yes': ['是', 'yes'], 'no': ['否', 'no'], 'ok': ['正常', 'OK'], 'not ok': ['异常', 'NOT OK'], 'photo': ['照片', 'photo'],
  'note optional': ['备注（选填）', 'Note (optional)'], 'findings n': ['发现问题 {n} 项', '{n} found not OK'],
  'not a reading': ['读数须为数字，最多三位小数', 'a reading is a number, at most three decimals'],
  // overview
  'kpis': ['各项目指标', 'KPIs per estate'], 'on-time': ['准时率', 'On-time'], 'collection': ['收缴率', 'Collection'],
  'open cases': ['未结工单', 'Open cases'], 'events': ['实时事件', 'Live events'],
  // the owners' page (/owner)
  'owner page': ['业主服务', 'Owner services'], 'owner sign in': ['业主登录', 'Owner sign-in'],
  'estate id': ['项目编号', 'Estate id'], 'room': ['房号（楼栋-单元-房间）', 'Unit (building-unit-room)'],
  'my phone': ['登记的手机号', 'Your phone on the register'], 'send code': ['获取验证码', 'Send me a code'],
  'code': ['验证码', 'Code'], 'code sent': ['如该手机号是本房屋登记的业主或租户电话，验证码已发出，{m} 分钟内有效。',
                                             'If that phone is on the register for the unit, a code is on its way; it is good for {m} minutes.'],
  'resend in': ['{s} 秒后可重新获取', 'another in {s} s'],
  'owner tab cases': ['我的报事', 'My cases'], 'owner tab new': ['报修投诉', 'Report'],
  'owner tab visits': ['回访测评', 'Visits'], 'owner tab bills': ['账单', 'Bills'],
  'no cases': ['暂无报事记录', 'No cases yet'], 'case filed': ['已受理，单号 {no}', 'Received: case {no}'],
  'report it': ['提交', 'Send'], 'what happened': ['请描述问题', 'What is wrong'],
  'no visits': ['暂无待回访的事项', 'Nothing to answer'], 'visit of': ['工单 {no} 的回访', 'About case {no}'],
  'owner answer': ['提交评价', 'Send my answer'], 'thanks': ['感谢您的评价', 'Thank you'],
  'evaluation of': ['{id} 季度满意度测评', 'Quarterly evaluation {id}'],
  'owed now': ['当前欠费', 'Owed now'], 'credit now': ['预存余额', 'In credit'], 'owner notices': ['缴费通知', 'Fee notices'],
  'period': ['账期', 'Period'], 'owner total': ['应缴', 'Total'], 'paid': ['已缴', 'Paid'], 'late fee': ['滞纳金', 'Late fee'],
  'reminded': ['已催缴 {n} 次', 'reminded {n}×'], 'settled': ['已结清', 'settled'], 'lines': ['收支明细', 'Lines'],
  'owner debit': ['应收', 'Charged'], 'owner credit': ['实收', 'Paid'],
};

const KEFU_ENUMS = {
  TicketStatus: { OPEN: ['处理中', 'open'], CLOSED: ['已办结', 'closed'], CANCELLED: ['已撤销', 'cancelled'] },
  TicketType: {
    REPAIR: ['报修', 'repair'], COMPLAINT: ['投诉', 'complaint'], ENQUIRY: ['咨询', 'enquiry'],
    SUGGESTION: ['建议', 'suggestion'], EMERGENCY_HELP: ['紧急求助', 'emergency help'],
    RENOVATION_APPLICATION: ['装修申请', 'renovation application'],
  },
  Channel: {
    COUNTER: ['前台', 'counter'], PHONE: ['电话', 'phone'], ON_SITE_VISIT: ['现场', 'on site'],
    APP_WEB: ['APP / 网页', 'app / web'], HOTLINE: ['投诉热线', 'hotline'], SUGGESTION_BOX: ['意见箱', 'suggestion box'],
  },
  Category: {
    WATER_LEAK: ['漏水', 'water leak'], PLUMBING: ['给排水', 'plumbing'], ELECTRICAL: ['电气', 'electrical'],
    LIFT: ['电梯', 'lift'], DOORS_LOCKS: ['门锁', 'doors and locks'], FIRE_SAFETY: ['消防', 'fire safety'],
    SECURITY_INSTALLATIONS: ['安防设施', 'security installations'], GAS: ['燃气', 'gas'], CLEANING: ['保洁', 'cleaning'],
    GREENING: ['绿化', 'greening'], PESTS: ['虫害', 'pests'], NOISE: ['噪音', 'noise'], PARKING: ['停车', 'parking'],
    RENOVATION_VIOLATION: ['违章装修', 'renovation violation'], FEES: ['费用', 'fees'], OTHER: ['其他', 'other'],
  },
  Hazard: {
    LEAK_INTO_HOME: ['水漏进户内', 'water into a home'], PERSON_TRAPPED: ['有人被困', 'person trapped'],
    GAS_SMELL: ['燃气味', 'gas smell'], SMOKE_OR_FIRE: ['烟或火', 'smoke or fire'], INJURY: ['有人受伤', 'injury'],
    NO_POWER: ['停电', 'no power'], NO_WATER: ['停水', 'no water'], ELECTRICAL_DANGER: ['触电危险', 'electrical danger'],
  },
  Priority: { EMERGENCY: ['紧急', 'emergency'], URGENT: ['加急', 'urgent'], NORMAL: ['普通', 'normal'], LOW: ['低', 'low'] },
  OrderStatus: {
    CREATED: ['已生成', 'created'], QUEUED: ['待派', 'waiting'], ASSIGNED: ['已派工', 'assigned'],
    ACCEPTED: ['已接单', 'accepted'], STARTED: ['处理中', 'started'], PAUSED: ['已暂停', 'paused'],
    COMPLETED: ['已完工', 'completed'], TRANSFERRED: ['已转出', 'transferred'], CANCELLED: ['已取消', 'cancelled'],
  },
  PauseReason: {
    WAITING_FOR_OWNER: ['等业主', 'waiting for the owner'], WAITING_FOR_PARTS: ['等配件', 'waiting for parts'],
    OTHER: ['其他', 'other'],
  },
  Department: {
    ENGINEERING: ['工程部', 'engineering'], CLEANING: ['保洁部', 'cleaning'], SECURITY: ['秩序维护部', 'security'],
    GREENING: ['绿化部', 'greening'], CUSTOMER_SERVICE: ['客服中心', 'customer service'],
  },
  SlaTarget: { FIRST_RESPONSE: ['首次响应', 'first response'], ON_SITE: ['到场', 'on site'], RESOLUTION: ['解决', 'resolution'] },
  EscalationLevel: { HANDLER: ['一级·经办人', '1 · handler'], SUPERVISOR: ['二级·客服主管', '2 · supervisor'],
                     DEPUTY_GM: ['三级·副总经理', '3 · deputy GM'] },
  Role: {
    FRONT_DESK: ['前台客服', 'front desk'], TECHNICIAN: ['维修人员', 'technician'], SUPERVISOR: ['客服主管', 'supervisor'],
    MANAGER: ['经理', 'manager'], OPERATIONS: ['运维', 'operations'], OWNER: ['业主', 'owner'],
  },
  Satisfaction: { SATISFIED: ['满意', 'satisfied'], FAIRLY_SATISFIED: ['比较满意', 'fairly satisfied'],
                  UNSATISFIED: ['不满意', 'unsatisfied'] },
  Occupancy: { VACANT: ['空置', 'vacant'], HANDED_OVER: ['已交房', 'handed over'], DECORATING: ['装修中', 'decorating'],
               OCCUPIED: ['自住', 'occupied'], LET: ['出租', 'let'] },
  PersonRole: { OWNER: ['业主', 'owner'], MEMBER: ['家庭成员', 'member'], TENANT: ['租户', 'tenant'] },
  LoanKind: { KEY: ['钥匙', 'key'], ITEM: ['物品', 'item'], STORED: ['寄存', 'stored'] },
  LoanStatus: { OUT: ['未归还', 'out'], RETURNED: ['已归还', 'returned'] },
  PermitStatus: { ISSUED: ['有效', 'issued'], USED: ['已放行', 'used'], EXPIRED: ['已过期', 'expired'] },
  ViolationCategory: { RENOVATION: ['违规装修', 'renovation'], ENCROACHMENT: ['占用公共区域/违建', 'encroachment'],
                       PARKING: ['乱停车', 'parking'], PETS: ['宠物', 'pets'], NOISE: ['噪音扰民', 'noise'],
                       WASTE: ['乱丢垃圾/高空抛物', 'waste'], FIRE_SAFETY: ['堵塞消防通道', 'fire safety'], OTHER: ['其他', 'other'] },
  ViolationStatus: { OPEN: ['待整改', 'open'], CLOSED: ['已结案', 'closed'] },
  DutyEntryKind: { EVENT: ['事件', 'event'], CALL: ['来电', 'call'], KEYS: ['钥匙', 'keys'], CASH: ['现金', 'cash'],
                   OTHER: ['其他', 'other'] },
  CommunicationKind: { INTERVIEW: ['访谈', 'interview'], CONTACT: ['沟通', 'contact'] },
  RenovationStatus: { SUBMITTED: ['待初审', 'submitted'], REVIEWED: ['待复审', 'reviewed'], APPROVED: ['已发证', 'approved'],
                      WORKING: ['施工中', 'working'], COMPLETED: ['已竣工', 'completed'], REJECTED: ['未通过', 'rejected'] },
  DeliveryStatus: { PENDING: ['待发送', 'pending'], SENDING: ['发送中', 'sending'], SENT: ['已送达', 'sent'],
                    FAILED: ['发送失败', 'failed'], UNCERTAIN: ['未确认', 'uncertain'], SUPPRESSED: ['未发送', 'not sent'],
                    DISMISSED: ['已撤销', 'dismissed'] },
  NotifyChannel: { EMAIL: ['邮件', 'email'], WEBHOOK: ['企业微信/短信网关', 'gateway'], SMS: ['短信', 'SMS'],
                   WECHAT: ['微信公众号', 'WeChat'] },
  RoundStatus: { DUE: ['待巡检', 'due'], ASSIGNED: ['已派', 'assigned'], STARTED: ['巡检中', 'under way'],
                 DONE: ['已完成', 'done'], MISSED: ['已超时', 'missed'] },
  CommunicationChannel: { IN_PERSON: ['面谈/上门', 'in person'], PHONE: ['电话', 'phone'], WECHAT: ['微信', 'WeChat'],
                          LETTER: ['书面', 'letter'], OTHER: ['其他', 'other'] },
};

// Each enum's values in the JSON API's spelling: <PREFIX>_<NAME>.
const KEFU_ENUM_PREFIX = {
  TicketStatus: 'TICKET_STATUS_', TicketType: 'TICKET_TYPE_', Channel: 'CHANNEL_', Category: 'CATEGORY_',
  Hazard: 'HAZARD_', Priority: 'PRIORITY_', OrderStatus: 'ORDER_STATUS_', PauseReason: 'PAUSE_REASON_',
  Department: 'DEPARTMENT_', SlaTarget: 'SLA_TARGET_', EscalationLevel: 'ESCALATION_LEVEL_', Role: 'ROLE_',
  Satisfaction: 'SATISFACTION_', Occupancy: 'OCCUPANCY_', PersonRole: 'PERSON_ROLE_', LoanKind: 'LOAN_KIND_',
  LoanStatus: 'LOAN_STATUS_', PermitStatus: 'PERMIT_STATUS_', ViolationCategory: 'VIOLATION_CATEGORY_',
  ViolationStatus: 'VIOLATION_STATUS_', DutyEntryKind: 'DUTY_ENTRY_KIND_', CommunicationKind: 'COMMUNICATION_KIND_',
  CommunicationChannel: 'COMMUNICATION_CHANNEL_', RenovationStatus: 'RENOVATION_STATUS_', RoundStatus: 'ROUND_STATUS_',
  DeliveryStatus: 'DELIVERY_STATUS_', NotifyChannel: 'NOTIFY_CHANNEL_',
};

let kefuLang = localStorage.getItem('kefu.lang') === 'en' ? 1 : 0;

function t(key, values) {
  const entry = KEFU_TEXT[key];
  let text = entry ? entry[kefuLang] : '⟨' + key + '⟩';
  for (const [name, value] of Object.entries(values || {})) text = text.replace('{' + name + '}', value);
  return text;
}

// An enum value as people read it; '-' for none. Takes the full name
// (TICKET_STATUS_OPEN) or the short one (OPEN).
function label(kind, value) {
  if (!value || /_UNSPECIFIED$/.test(value)) return '-';
  const name = String(value).replace(KEFU_ENUM_PREFIX[kind], '');
  const entry = (KEFU_ENUMS[kind] || {})[name];
  return entry ? entry[kefuLang] : '⟨' + value + '⟩';
}

// The values of an enum, short names, in the schema's order.
const values = (kind) => Object.keys(KEFU_ENUMS[kind]);

function setLanguage(english) {
  kefuLang = english ? 1 : 0;
  localStorage.setItem('kefu.lang', english ? 'en' : 'zh');
  document.documentElement.lang = english ? 'en' : 'zh-CN';
}

// The bus's event kinds as a timeline and the live list show them.
const KEFU_KINDS = {
  'ticket.filed': ['登记', 'filed'], 'ticket.note_added': ['备注', 'note'], 'ticket.closed': ['办结', 'closed'],
  'ticket.reopened': ['重新打开', 'reopened'], 'ticket.cancelled': ['撤销', 'cancelled'],
  'order.created': ['生成派工单', 'order created'], 'order.queued': ['待派', 'order waiting'],
  'order.assigned': ['派工', 'order assigned'], 'order.accepted': ['接单', 'order accepted'],
  'order.started': ['开始处理', 'order started'], 'order.paused': ['暂停', 'order paused'],
  'order.resumed': ['恢复', 'order resumed'], 'order.completed': ['完工', 'order completed'],
  'order.transferred': ['转部门', 'order transferred'], 'order.cancelled': ['派工单取消', 'order cancelled'],
  'sla.warning': ['时限预警', 'SLA warning'], 'sla.breached': ['超时', 'SLA breached'], 'sla.met': ['时限达成', 'SLA met'],
  'escalation.raised': ['升级', 'escalated'], 'visit.scheduled': ['安排回访', 'visit scheduled'],
  'visit.merged': ['回访合并', 'visit merged'], 'visit.attempted': ['回访未联系上', 'visit attempted'],
  'visit.completed': ['回访完成', 'visit done'], 'visit.unsatisfied': ['回访不满意', 'visit unsatisfied'],
  'visit.overdue': ['回访超期', 'visit overdue'], 'evaluation.sampled': ['测评抽样', 'evaluation drawn'],
  'evaluation.answered': ['测评回收', 'evaluation answered'], 'evaluation.closed': ['测评结束', 'evaluation closed'],
  'report.daily': ['日报', 'daily statistics'], 'invoice.issued': ['缴费通知', 'notice issued'],
  'invoice.charge_added': ['加收费用', 'charge added'], 'invoice.late_fee': ['滞纳金', 'late fee'],
  'invoice.settled': ['已结清', 'settled'], 'payment.received': ['收款', 'payment'], 'payment.refunded': ['退款', 'refund'],
  'reminder.sent': ['催缴', 'reminder'], 'unit.registered': ['登记房屋', 'unit registered'],
  'household.registered': ['登记住户', 'household registered'],
  'unit.handed_over': ['入伙交房', 'handed over'], 'unit.let': ['出租', 'let'], 'unit.vacated': ['迁出', 'moved out'],
  'unit.inspected': ['空置房检查', 'vacant unit inspected'], 'unit.inspection_overdue': ['空置房检查超期', 'inspection overdue'],
  'deadline.set': ['时限登记', 'deadline set'], 'deadline.met': ['时限完成', 'deadline met'],
  'deadline.dropped': ['时限撤销', 'deadline dropped'],
  'desk.lent': ['借出登记', 'lent'], 'desk.returned': ['归还', 'returned'], 'desk.loan_overdue': ['借用超时', 'loan overdue'],
  'desk.permit_issued': ['开具放行条', 'permit issued'], 'desk.permit_used': ['门岗放行', 'permit used'],
  'desk.permit_expired': ['放行条过期', 'permit expired'],
  'violation.recorded': ['登记违章', 'violation recorded'], 'violation.followed': ['违章跟进', 'violation followed up'],
  'violation.closed': ['违章结案', 'violation closed'], 'violation.overdue': ['违章整改超期', 'violation overdue'],
  'violation.fined': ['违章罚款', 'violation fined'],
  'desk.logged': ['值班记录', 'duty logged'], 'desk.handed_over': ['交班', 'handed over'],
  'desk.taken_over': ['接班', 'taken over'], 'desk.handover_checked': ['交接班已检查', 'handover checked'],
  'desk.communicated': ['客户沟通', 'communication'], 'desk.followed_up': ['沟通已跟进', 'followed up'],
  'renovation.submitted': ['装修申请', 'renovation applied'], 'renovation.reviewed': ['装修初审', 'first review passed'],
  'renovation.approved': ['装修复审·发证', 'renovation approved'], 'renovation.rejected': ['装修审核未通过', 'renovation refused'],
  'renovation.started': ['装修开工', 'work started'], 'renovation.patrol_due': ['装修巡查到时', 'patrol due'],
  'renovation.patrolled': ['装修巡查', 'patrolled'], 'renovation.patrol_missed': ['装修漏查', 'patrol missed'],
  'renovation.completed': ['装修竣工', 'renovation completed'],
  'round.planned': ['巡检计划变更', 'plan changed'], 'round.due': ['巡检到时', 'round due'],
  'round.started': ['开始巡检', 'round started'], 'round.checked': ['巡检点已记录', 'checkpoint recorded'],
  'round.finished': ['巡检完成', 'round finished'], 'round.missed': ['巡检超时', 'round missed'],
  'round.finding': ['巡检发现问题', 'round finding'],
  'staff.changed': ['人员变更', 'staff changed'],
  'notification.sent': ['通知已送达', 'message sent'], 'notification.failed': ['通知发送失败', 'message failed'],
  'notification.uncertain': ['通知未确认', 'message uncertain'],
};

const kindLabel = (kind) => (KEFU_KINDS[kind] ? KEFU_KINDS[kind][kefuLang] : kind);
