/*  kf_config_schema — every key the configuration may hold: its path, type,
    default, limits and meaning (kefuctl config --schema prints it), and
    the lookups of a path in it; kf_config_values.c checks a value of each
    type. See kf_config_private.h.
*/
#include "kf_config_private.h"

#include <stdio.h>
#include <string.h>

const char *const kf_config_type_names [] = {
    "section", "text", "identifier", "producer id (service@cluster)", "endpoint (ipc://, tcp:// or inproc://)",
    "host:port", "path", "integer", "duration (e.g. 90s, 26h, 3d)", "true or false",
    "opening hours (e.g. 08:30-18:00, or closed)", "list of dates (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)",
    "UTC offset (e.g. +08:00)", "log level (error, warning, notice, info or debug)",
    "terms (e.g. \"category:gas, hazard:person_trapped\", or none)",
    "department (engineering, cleaning, security, greening or customer_service)",
    "role (front_desk, technician, supervisor, manager or operations)",
    "categories (e.g. \"water_leak, plumbing\"), or any",
    "shifts (e.g. \"mon-fri 08:30-17:30, sat 09:00-13:00, hol 09:00-17:00\", \"daily 00:00-24:00, hol off\", or off)",
    "SLA limit (none, same_day, 3wd for 3 working days, or a duration such as 72h)",
    "clock (24x7, or working: the estate calendar's open hours)",
    "pause reasons (waiting_for_owner, waiting_for_parts, other), or none",
    "time of day (e.g. 16:00)",
    "day counts, rising, comma-separated (e.g. 7, 15, 30), or none"
};

#define S_DAY  (24 * 3600000LL)

//  An SLA policy: the group's keys with their defaults, and the same keys
//  for an estate, which replace them one by one.
#define S_POLICY_KEYS(prefix, name, match, hours, pauses, first, on_site, resolution, transferred) \
    { prefix "sla/" name "/match", T_TERMS, match, false, 0, 0, \
      "the cases it applies to: type:, channel:, category:, hazard: or priority: terms, or none" }, \
    { prefix "sla/" name "/hours", T_CLOCK, hours, false, 0, 0, "what its clocks count: 24x7, or working hours" }, \
    { prefix "sla/" name "/pause_for", T_PAUSES, pauses, false, 0, 0, \
      "an order paused for one of these stops its clocks until it resumes" }, \
    { prefix "sla/" name "/first_response", T_LIMIT, first, false, 0, 0, "someone accepts the case (order.accepted)" }, \
    { prefix "sla/" name "/on_site", T_LIMIT, on_site, false, 0, 0, "someone is on site (order.started)" }, \
    { prefix "sla/" name "/resolution", T_LIMIT, resolution, false, 0, 0, \
      "the case is resolved (order.completed, or ticket.closed)" }, \
    { prefix "sla/" name "/transferred", T_LIMIT, transferred, false, 0, 0, \
      "replaces resolution once a department other than customer service handles the case; none keeps it" }
//  Billing rules: the group's, with defaults, and an estate's (no defaults:
//  the group's apply where the estate says nothing).
#define S_BILLING_KEYS(prefix, due_day, reminders, per_day, grace, cap) \
    { prefix "billing/due_day", T_INT, due_day, false, 1, 28, \
      "a month's notice is due by the end of this day of that month" }, \
    { prefix "billing/reminders", T_DAYS, reminders, false, 1, 3650, \
      "arrears reminders when a notice is this many days overdue" }, \
    { prefix "billing/late_fee_per_day", T_INT, per_day, false, 0, 100, \
      "late fee a day, in ten-thousandths of the overdue principal (5 = 0.05 %); 0: no late fees" }, \
    { prefix "billing/late_fee_grace_days", T_INT, grace, false, 0, 365, \
      "days overdue before late fees start" }, \
    { prefix "billing/late_fee_cap_percent", T_INT, cap, false, 0, 100, \
      "late fees on a notice never exceed this share of its principal" }

//  The desk's registers: how long each kind is lent by default, and how
//  long past due a loan is escalated; the group's, and an estate's.
#define S_DESK_KEYS(prefix, key, item, stored, escalate, patrols, window, deposit, fees) \
    { prefix "desk/key_due", T_DURATION, key, false, 5 * 60000, 30 * S_DAY, \
      "a key lent is due back this long after it goes out, unless the desk says when" }, \
    { prefix "desk/item_due", T_DURATION, item, false, 5 * 60000, 90 * S_DAY, "... an item lent" }, \
    { prefix "desk/stored_due", T_DURATION, stored, false, 60 * 60000, 366 * S_DAY, \
      "... an owner's things stored at the desk, collected by then" }, \
    { prefix "desk/escalate_after", T_DURATION, escalate, false, 0, 30 * S_DAY, \
      "a loan still out this long after its due time is escalated (the desk is reminded at the due time)" }, \
    { prefix "desk/patrol_schedule", T_STRING, patrols, false, 0, 0, \
      "a renovation's site patrols while work is on, a schedule (装修现场每天两次: workdays 10:00, 15:00)" }, \
    { prefix "desk/patrol_window", T_DURATION, window, false, 15 * 60000, 12 * 3600000, \
      "a patrol is done within this long of its time, else it is missed" }, \
    { prefix "desk/renovation_deposit", T_STRING, deposit, false, 0, 0, \
      "a renovation's deposit in yuan (2000.00), charged through billing with the permit, returned at completion" }, \
    { prefix "desk/renovation_fees", T_STRING, fees, false, 0, 0, \
      "a renovation's fees in yuan (装修管理费, 垃圾清运费), charged through billing with the permit; 0: none" }

//  Return visits and evaluations: the group's, with defaults, and an
//  estate's (the group's apply where it says nothing).
#define S_SURVEY_KEYS(prefix, safety, safety_categories, leak, leak_categories, other, complaint, attempts, \
                      contacts, percent, days) \
    { prefix "survey/visit_safety", T_DURATION, safety, false, 3600000, 30 * S_DAY, \
      "a return visit after a repair of a safety installation is due this long after completion" }, \
    { prefix "survey/safety_categories", T_CATEGORIES, safety_categories, false, 0, 0, \
      "the categories that are safety installations" }, \
    { prefix "survey/visit_leak", T_DURATION, leak, false, 3600000, 30 * S_DAY, "... after a leak repair" }, \
    { prefix "survey/leak_categories", T_CATEGORIES, leak_categories, false, 0, 0, "the categories that are leaks" }, \
    { prefix "survey/visit_other", T_DURATION, other, false, 3600000, 30 * S_DAY, "... after any other repair" }, \
    { prefix "survey/visit_complaint", T_DURATION, complaint, false, 3600000, 30 * S_DAY, \
      "... after a complaint is closed" }, \
    { prefix "survey/visit_attempts", T_INT, attempts, false, 1, 10, "calls before a visit is given up" }, \
    { prefix "survey/max_contacts", T_INT, contacts, false, 1, 30, \
      "visits one household may get in 30 days; more merge into the last or are not made" }, \
    { prefix "survey/sample_percent", T_INT, percent, false, 1, 100, \
      "share of occupied households drawn for the quarterly evaluation" }, \
    { prefix "survey/collection_days", T_INT, days, false, 1, 60, \
      "days the evaluation forms are collected after the hand-out on the 15th" }

//  kefu-notify's rules: the group's, with defaults, and an estate's.
#define S_NOTIFY_KEYS(prefix, language, quiet, rate) \
    { prefix "notify/language", T_STRING, language, false, 0, 0, \
      "the language of messages to people who have not said theirs: zh or en" }, \
    { prefix "notify/quiet_hours", T_STRING, quiet, false, 0, 0, \
      "local hours when residents' notices wait (fee notices, reminders); escalations and emergencies always go: " \
      "21:00-08:00, or none" }, \
    { prefix "notify/rate_per_hour", T_INT, rate, false, 1, 1000, \
      "messages one address gets through one channel in a clock hour; more wait for the next (emergencies go)" }, \
    { prefix "notify/templates", T_SECTION, NULL, false, 0, 0, \
      "messages by event kind (order.assigned, ...), replacing the built-in texts" }, \
    { prefix "notify/templates/*", T_SECTION, NULL, false, 0, 0, "one kind's messages" }, \
    { prefix "notify/templates/*/zh", T_STRING, NULL, false, 0, 0, \
      "the text in Chinese, with {field} placeholders of the event's body" }, \
    { prefix "notify/templates/*/en", T_STRING, NULL, false, 0, 0, "... in English" }, \
    { prefix "notify/templates/*/subject_zh", T_STRING, NULL, false, 0, 0, "an email's subject in Chinese" }, \
    { prefix "notify/templates/*/subject_en", T_STRING, NULL, false, 0, 0, "... in English" }, \
    { prefix "notify/templates/*/sms_template", T_STRING, NULL, false, 0, 0, \
      "the SMS provider's approved template id for this kind; unset: no SMS for it" }, \
    { prefix "notify/templates/*/sms_params", T_STRING, NULL, false, 0, 0, \
      "its parameters, in order, separated by |: {ticket_no} | {unit}" }, \
    { prefix "notify/templates/*/wechat_template", T_STRING, NULL, false, 0, 0, \
      "the official account's template id for this kind; unset: no WeChat message for it" }, \
    { prefix "notify/templates/*/wechat_params", T_STRING, NULL, false, 0, 0, \
      "first | keyword1 | ... | remark, separated by |" }, \
    { prefix "notify/templates/*/off", T_BOOL, NULL, false, 0, 0, "true: nobody is told of this kind" }

#define S_POLICY(name, help, match, hours, first, on_site, resolution, transferred) \
    { "sla/" name, T_SECTION, NULL, false, 0, 0, help }, \
    S_POLICY_KEYS ("", name, match, hours, "waiting_for_owner, waiting_for_parts", first, on_site, resolution, \
                   transferred), \
    { "estates/*/sla/" name, T_SECTION, NULL, false, 0, 0, "this estate's " name " policy, key by key" }, \
    S_POLICY_KEYS ("estates/*/", name, NULL, NULL, NULL, NULL, NULL, NULL, NULL)

#define S_SERVICE(name) \
    { "services/" name, T_SECTION, NULL, false, 0, 0, "the " name " daemon" }, \
    { "services/" name "/endpoint", T_ENDPOINT, "ipc://var/run/" name, false, 0, 0, \
      "ROUTER endpoint where it answers commands" }, \
    { "services/" name "/replay", T_ENDPOINT, "ipc://var/run/" name "-replay", false, 0, 0, \
      "ROUTER endpoint where it replays its outbox" }, \
    { "services/" name "/certificate", T_PATH, NULL, false, 0, 0, \
      "the public certificate its tcp:// endpoint serves with when it runs on an estate server " \
      "(that server's own); unset: the cluster's" }

static const char *const s_service_names [KF_SERVICE_COUNT + 1] = {
    "intake", "dispatch", "escalation", "survey", "billing", "archive", "registry", "desk", "notify", NULL
};



const char *const *
kf_config_services (void)
{
    return s_service_names;
}

const kf_config_key_t kf_config_schema [] = {
    { "cluster", T_SECTION, NULL, false, 0, 0, "this cluster" },
    { "cluster/name", T_ID, "c1", false, 0, 0, "names the cluster; producer ids are <service>@<name>" },
    { "cluster/data_dir", T_PATH, "var/data", false, 0, 0, "each daemon keeps its LMDB in data_dir/<service>/" },
    { "cluster/backup_dir", T_PATH, NULL, false, 0, 0,
      "where the daemons write backups (kefuctl backup), each named <producer>-<UTC time>; default data_dir/backups" },
    { "cluster/log_level", T_LEVEL, "info", false, 0, 0, "threshold of the daemons' logs" },

    { "bus", T_SECTION, NULL, true, 0, 0, "the event bus" },
    { "bus/publish", T_ENDPOINT, NULL, true, 0, 0, "XSUB endpoint of kefu-bus: producers connect here" },
    { "bus/subscribe", T_ENDPOINT, NULL, true, 0, 0, "XPUB endpoint of kefu-bus: consumers connect here" },
    { "bus/capture", T_ENDPOINT, NULL, false, 0, 0, "PUB copy of all bus traffic, for operations" },
    { "bus/heartbeat", T_DURATION, "1s", false, 100, 60000, "how often every producer beats" },
    { "bus/outbox_max_age", T_DURATION, "7d", false, 60000, 3650 * S_DAY, "outbox retention by age" },
    { "bus/outbox_max_events", T_INT, "1000000", false, 1000, 1000000000, "outbox retention by count, per stream" },

    { "calendars", T_SECTION, NULL, false, 0, 0, "working calendars, named" },
    { "calendars/*", T_SECTION, NULL, false, 0, 0, "one calendar" },
    { "calendars/*/weekday_hours", T_HOURS, "08:30-18:00", false, 0, 0, "Monday to Friday" },
    { "calendars/*/weekend_hours", T_HOURS, "09:00-17:00", false, 0, 0, "Saturday and Sunday" },
    { "calendars/*/monday", T_HOURS, NULL, false, 0, 0, "overrides weekday_hours on Mondays" },
    { "calendars/*/tuesday", T_HOURS, NULL, false, 0, 0, "overrides weekday_hours on Tuesdays" },
    { "calendars/*/wednesday", T_HOURS, NULL, false, 0, 0, "overrides weekday_hours on Wednesdays" },
    { "calendars/*/thursday", T_HOURS, NULL, false, 0, 0, "overrides weekday_hours on Thursdays" },
    { "calendars/*/friday", T_HOURS, NULL, false, 0, 0, "overrides weekday_hours on Fridays" },
    { "calendars/*/saturday", T_HOURS, NULL, false, 0, 0, "overrides weekend_hours on Saturdays" },
    { "calendars/*/sunday", T_HOURS, NULL, false, 0, 0, "overrides weekend_hours on Sundays" },
    { "calendars/*/holiday_hours", T_HOURS, "closed", false, 0, 0, "hours on public holidays" },
    { "calendars/*/makeup_hours", T_HOURS, "08:30-18:00", false, 0, 0, "hours on make-up working days (调休)" },
    { "calendars/*/holidays", T_DATES, "", false, 0, 0, "public holidays" },
    { "calendars/*/makeup_days", T_DATES, "", false, 0, 0, "weekend days worked in exchange for holidays" },

    { "estates", T_SECTION, NULL, true, 0, 0, "the estates this cluster serves" },
    { "estates/*", T_SECTION, NULL, false, 0, 0, "one estate; its id names it in topics and ticket numbers" },
    { "estates/*/name", T_STRING, NULL, true, 0, 0, "the estate's name, for people" },
    { "estates/*/utc_offset", T_OFFSET, "+08:00", false, 0, 0, "the estate's UTC offset" },
    { "estates/*/calendar", T_ID, "default", false, 0, 0, "a calendar of calendars/, or default" },
    { "estates/*/intake", T_PRODUCER, NULL, false, 0, 0, "the intake instance that owns the estate (default intake@<cluster>)" },
    { "estates/*/intake_endpoint", T_ENDPOINT, NULL, false, 0, 0,
      "command endpoint of that intake when it is not the cluster's own (estate edge mode)" },
    { "estates/*/intake_certificate", T_PATH, NULL, false, 0, 0,
      "public certificate of that intake's estate server, whose key its tcp:// endpoint serves with" },
    { "estates/*/priority", T_SECTION, NULL, false, 0, 0, "this estate's priority rules, replacing the group's level by level" },
    { "estates/*/priority/emergency", T_TERMS, NULL, false, 0, 0, "as priority/emergency, for this estate" },
    { "estates/*/priority/urgent", T_TERMS, NULL, false, 0, 0, "as priority/urgent, for this estate" },
    { "estates/*/priority/low", T_TERMS, NULL, false, 0, 0, "as priority/low, for this estate" },

    { "estates/*/routing", T_SECTION, NULL, false, 0, 0, "this estate's routing, replacing the group's department by department" },
    { "estates/*/routing/engineering", T_TERMS, NULL, false, 0, 0, "as routing/engineering, for this estate" },
    { "estates/*/routing/cleaning", T_TERMS, NULL, false, 0, 0, "as routing/cleaning, for this estate" },
    { "estates/*/routing/security", T_TERMS, NULL, false, 0, 0, "as routing/security, for this estate" },
    { "estates/*/routing/greening", T_TERMS, NULL, false, 0, 0, "as routing/greening, for this estate" },
    { "estates/*/routing/customer_service", T_TERMS, NULL, false, 0, 0, "as routing/customer_service, for this estate" },
    { "estates/*/staff", T_SECTION, NULL, false, 0, 0, "the estate's people who take work orders, by staff id" },
    { "estates/*/staff/*", T_SECTION, NULL, false, 0, 0, "one person; the id is who they act as (kefuctl --as)" },
    { "estates/*/staff/*/name", T_STRING, NULL, true, 0, 0, "the person's name, for people" },
    { "estates/*/staff/*/department", T_DEPARTMENT, NULL, true, 0, 0, "the department they work in" },
    { "estates/*/staff/*/skills", T_CATEGORIES, "any", false, 0, 0,
      "the categories they take; any: every category routed to their department" },
    { "estates/*/staff/*/shifts", T_SHIFTS, "off", false, 0, 0, "their duty rota, in the estate's local time" },
    { "estates/*/staff/*/on_call", T_BOOL, "false", false, 0, 0,
      "takes emergencies when off shift: nights, weekends and holidays" },
    { "estates/*/staff/*/phone", T_STRING, NULL, false, 0, 0, "how to reach them" },
    { "estates/*/staff/*/email", T_STRING, NULL, false, 0, 0, "where kefu-notify emails them, if it should" },
    { "estates/*/staff/*/language", T_STRING, NULL, false, 0, 0,
      "the language of their messages (zh or en); unset: the estate's (notify/language)" },
    { "estates/*/staff/*/role", T_ROLE, "technician", false, 0, 0, "what they may do" },
    { "estates/*/staff/*/active", T_BOOL, "true", false, 0, 0,
      "false once the person has left: the record stays, no new orders" },
    { "estates/*/plans", T_SECTION, NULL, false, 0, 0,
      "inspection and maintenance plans (巡检计划): rounds made on the estate's calendar, by plan id "
      "(1-16 letters, digits, - or _)" },
    { "estates/*/plans/*", T_SECTION, NULL, false, 0, 0, "one plan; kefuctl plans pause|resume changes it until the file does" },
    { "estates/*/plans/*/name", T_STRING, NULL, true, 0, 0, "the plan's name, for people" },
    { "estates/*/plans/*/department", T_DEPARTMENT, NULL, true, 0, 0, "whose staff walk its rounds" },
    { "estates/*/plans/*/skill", T_STRING, NULL, false, 0, 0,
      "the skill its rounds need, a category (e.g. fire_safety); unset: anyone of the department" },
    { "estates/*/plans/*/schedule", T_STRING, NULL, true, 0, 0,
      "when its rounds fall: daily 09:00 | workdays 10:00, 15:00 | weekly mon,thu 09:00 | monthly 1,15 09:00 | "
      "every 3d 09:00 from 2026-01-01; a time may end with \"working\"" },
    { "estates/*/plans/*/window", T_DURATION, "2h", false, 5 * 60000, 30 * S_DAY,
      "a round is finished within this long of its time, else it is missed (and breaches)" },
    { "estates/*/plans/*/while_renovation", T_BOOL, "false", false, 0, 0,
      "rounds only while a renovation of the estate has work on (装修期间每日检查)" },
    { "estates/*/plans/*/paused", T_BOOL, "false", false, 0, 0, "no rounds while true" },
    { "estates/*/plans/*/checkpoints", T_SECTION, NULL, true, 0, 0, "its checkpoints, walked in this order" },
    { "estates/*/plans/*/checkpoints/*", T_SECTION, NULL, false, 0, 0, "one checkpoint" },
    { "estates/*/plans/*/checkpoints/*/name", T_STRING, NULL, true, 0, 0, "the checkpoint's name, unique in its plan" },
    { "estates/*/plans/*/checkpoints/*/place", T_STRING, NULL, false, 0, 0, "where it is, for people" },
    { "estates/*/plans/*/checkpoints/*/area", T_STRING, NULL, false, 0, 0,
      "the unit code its findings are filed at (default 0-0-0: the estate's common areas)" },
    { "estates/*/plans/*/checkpoints/*/items", T_STRING, NULL, true, 0, 0,
      "what to check, ';'-separated: yes_no: WHAT | reading: WHAT (UNIT MIN..MAX) | photo: WHAT" },

    { "routing", T_SECTION, NULL, false, 0, 0,
      "which department a new case goes to: a hazard: term beats a type: term, which beats a category: term; "
      "unrouted cases go to customer_service" },
    { "routing/engineering", T_TERMS,
      "hazard:gas_smell, hazard:leak_into_home, hazard:electrical_danger, "
      "category:water_leak, category:plumbing, category:electrical, category:lift, category:doors_locks, "
      "category:fire_safety, category:security_installations, category:gas", false, 0, 0, "工程部" },
    { "routing/cleaning", T_TERMS, "category:cleaning, category:pests", false, 0, 0, "保洁" },
    { "routing/security", T_TERMS,
      "hazard:person_trapped, hazard:smoke_or_fire, hazard:injury, "
      "category:noise, category:parking, category:renovation_violation", false, 0, 0, "秩序/安保" },
    { "routing/greening", T_TERMS, "category:greening", false, 0, 0, "绿化" },
    { "routing/customer_service", T_TERMS,
      "category:fees, category:other, type:enquiry, type:suggestion, type:renovation_application", false, 0, 0, "客服" },

    { "sla", T_SECTION, NULL, false, 0, 0,
      "SLA policies, in this order of precedence: each target of a case (first_response, on_site, resolution) "
      "comes from the first policy that matches the case and sets it" },
    { "sla/warning_percent", T_INT, "80", false, 50, 99, "sla.warning when this share of a target is used" },
    { "sla/same_day_cutoff", T_MINUTE, "16:00", false, 0, 0,
      "a same_day target that starts after this local time is due at the close of the next day" },
    S_POLICY ("emergency", "emergencies: 24x7 with short targets", "priority:emergency", "24x7",
              "15m", "30m", "24h", "none"),
    S_POLICY ("rectification", "a case reopened after an unsatisfied return visit (and any it matches): "
              "resolved within 24 h of the visit", "none", "24x7", "none", "none", "24h", "none"),
    S_POLICY ("hotline", "the supervision / complaint hotline: a reply within 72 h", "channel:hotline", "24x7",
              "72h", "none", "none", "none"),
    S_POLICY ("renovation", "renovation applications: reviewed within 2 working days",
              "type:renovation_application", "working", "none", "none", "2wd", "none"),
    S_POLICY ("complaint", "complaints: the same day within customer service, 3 working days when transferred",
              "type:complaint", "working", "none", "none", "same_day", "3wd"),
    S_POLICY ("repair", "repairs: a response, a visit, and the work done", "type:repair", "working",
              "30m", "4h", "3wd", "none"),
    S_POLICY ("default", "every other case (its match is ignored: it matches all)", "none", "working",
              "none", "none", "same_day", "3wd"),
    { "estates/*/sla", T_SECTION, NULL, false, 0, 0, "this estate's SLA policies, replacing the group's key by key" },

    { "escalation", T_SECTION, NULL, false, 0, 0,
      "the chain after a breach: level 1 the handler and receptionist, level 2 the customer-service supervisors, "
      "level 3 the deputy general manager (the estate's managers)" },
    { "escalation/supervisor_after", T_DURATION, "4h", false, 60000, 30 * S_DAY,
      "level 2 follows level 1 after this long while a target stays missed and the case open" },
    { "escalation/deputy_gm_after", T_DURATION, "24h", false, 60000, 30 * S_DAY,
      "level 3 follows level 2 after this long while the cause lasts" },
    { "escalation/reopens_to_supervisor", T_INT, "2", false, 1, 100,
      "a case reopened this many times goes to level 2 at once" },
    { "estates/*/escalation", T_SECTION, NULL, false, 0, 0,
      "who this estate's levels 2 and 3 always reach, besides those of the role on shift or on call" },
    { "estates/*/escalation/supervisor", T_ID, NULL, false, 0, 0,
      "the estate's customer-service supervisor (a staff id): told at level 2 whatever the shift" },
    { "estates/*/escalation/deputy_gm", T_ID, NULL, false, 0, 0,
      "the estate's deputy general manager (a staff id): told at level 3 whatever the shift" },

    { "billing", T_SECTION, NULL, false, 0, 0, "fees, notices, arrears (each key may be set per estate too)" },
    S_BILLING_KEYS ("", "25", "7, 15, 30", "0", "0", "100"),
    { "estates/*/billing", T_SECTION, NULL, false, 0, 0, "this estate's billing rules, replacing the group's key by key" },
    S_BILLING_KEYS ("estates/*/", NULL, NULL, NULL, NULL, NULL),

    { "survey", T_SECTION, NULL, false, 0, 0, "return visits, evaluations, the daily report (per estate too)" },
    S_SURVEY_KEYS ("", "2d", "fire_safety, security_installations, gas, electrical, lift", "3d", "water_leak, plumbing",
                   "7d", "3d", "3", "2", "20", "15"),
    { "survey/daily_report_at", T_MINUTE, "08:00", false, 0, 0,
      "local time the daily statistics of the day before are made (the standard: before 12:00)" },
    { "estates/*/survey", T_SECTION, NULL, false, 0, 0, "this estate's survey rules, replacing the group's key by key" },
    S_SURVEY_KEYS ("estates/*/", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    { "registry", T_SECTION, NULL, false, 0, 0, "the register of units and households (per estate too)" },
    { "registry/check_units", T_BOOL, "true", false, 0, 0,
      "intake files only for units the estate's register holds, once it holds any (false while it is loaded)" },
    { "estates/*/registry", T_SECTION, NULL, false, 0, 0, "this estate's register rules, replacing the group's" },
    { "estates/*/registry/check_units", T_BOOL, NULL, false, 0, 0, "as registry/check_units, for this estate" },
    { "registry/vacant_inspection", T_STRING, "monthly", false, 0, 0,
      "how often a vacant unit is inspected: monthly (the same day each month), weekly, or every N days (14d)" },
    { "estates/*/registry/vacant_inspection", T_STRING, NULL, false, 0, 0,
      "as registry/vacant_inspection, for this estate" },

    { "desk", T_SECTION, NULL, false, 0, 0, "the front desk's registers (each key may be set per estate too)" },
    S_DESK_KEYS ("", "4h", "24h", "30d", "24h", "workdays 10:00, 15:00", "3h", "2000.00", "300.00"),
    { "estates/*/desk", T_SECTION, NULL, false, 0, 0, "this estate's desk rules, replacing the group's key by key" },
    S_DESK_KEYS ("estates/*/", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),

    { "notify", T_SECTION, NULL, false, 0, 0, "kefu-notify: messages to people (each rule may be set per estate too)" },
    S_NOTIFY_KEYS ("", "zh", "21:00-08:00", "10"),
    { "estates/*/notify", T_SECTION, NULL, false, 0, 0, "this estate's notify rules, replacing the group's key by key" },
    S_NOTIFY_KEYS ("estates/*/", NULL, NULL, NULL),
    { "notify/staff_channels", T_STRING, "webhook", false, 0, 0,
      "how staff are told: webhook (the group's WeChat Work gateway), email, or both (webhook, email)" },
    { "notify/retry_first", T_DURATION, "1m", false, 1000, 3600000,
      "a failed try is retried after this, then after twice as long each time, at most an hour apart" },
    { "notify/retry_for", T_DURATION, "24h", false, 60000, 30 * S_DAY,
      "a message not sent this long after its event is given up: failed, with an alarm" },
    { "notify/call_timeout", T_DURATION, "20s", false, 1000, 40000,
      "the longest one call to a provider may take (a stop waits for two: kefu-notify.service's TimeoutStopSec is 90s)" },
    { "notify/email", T_SECTION, NULL, false, 0, 0, "email over SMTP (libcurl); off without a url" },
    { "notify/email/url", T_STRING, NULL, false, 0, 0, "smtp://host:587 (with STARTTLS) or smtps://host:465" },
    { "notify/email/from", T_STRING, NULL, false, 0, 0, "the sender: kefu@example.com" },
    { "notify/email/user", T_STRING, NULL, false, 0, 0, "SMTP AUTH user, if the server wants one" },
    { "notify/email/password", T_STRING, NULL, false, 0, 0, "... its password; never logged" },
    { "notify/email/starttls", T_BOOL, "true", false, 0, 0, "refuse to send unless STARTTLS succeeds" },
    { "notify/email/ca_file", T_PATH, NULL, false, 0, 0, "the CA the server's certificate is checked with" },
    { "notify/webhook", T_SECTION, NULL, false, 0, 0,
      "signed JSON to the group's own WeChat Work / SMS gateway; off without a url" },
    { "notify/webhook/url", T_STRING, NULL, false, 0, 0, "deliveries are POSTed here; GET url/<id> asks for one" },
    { "notify/webhook/secret", T_STRING, NULL, false, 0, 0,
      "the shared secret of the Kefu-Signature header, 16 bytes at least; never logged" },
    { "notify/sms", T_SECTION, NULL, false, 0, 0, "Tencent Cloud SMS (API 2021-01-11); off without a url" },
    { "notify/sms/url", T_STRING, NULL, false, 0, 0, "https://sms.tencentcloudapi.com" },
    { "notify/sms/secret_id", T_STRING, NULL, false, 0, 0, "the API key's SecretId" },
    { "notify/sms/secret_key", T_STRING, NULL, false, 0, 0, "its SecretKey; never logged" },
    { "notify/sms/app_id", T_STRING, NULL, false, 0, 0, "the SmsSdkAppId" },
    { "notify/sms/sign_name", T_STRING, NULL, false, 0, 0, "the approved signature (签名)" },
    { "notify/sms/region", T_STRING, "ap-guangzhou", false, 0, 0, "the API region" },
    { "notify/sms/code_template", T_STRING, NULL, false, 0, 0,
      "the approved template of sign-in codes (parameters: the code, its minutes); unset: codes go by webhook" },
    { "notify/wechat", T_SECTION, NULL, false, 0, 0, "WeChat official-account template messages; off without a url" },
    { "notify/wechat/url", T_STRING, NULL, false, 0, 0, "https://api.weixin.qq.com" },
    { "notify/wechat/app_id", T_STRING, NULL, false, 0, 0, "the official account's appid" },
    { "notify/wechat/app_secret", T_STRING, NULL, false, 0, 0, "its AppSecret; never logged" },

    { "dispatch", T_SECTION, NULL, false, 0, 0, "work orders" },
    { "dispatch/rectification_due", T_DURATION, "24h", false, 3600000, 7 * S_DAY,
      "a rectification order after an unsatisfied return visit is due this long after the visit" },

    { "priority", T_SECTION, NULL, false, 0, 0,
      "a new ticket's priority: the first level whose terms match it (emergency, urgent, low), else normal" },
    { "priority/emergency", T_TERMS,
      "type:emergency_help, category:gas, category:fire_safety, hazard:gas_smell, hazard:smoke_or_fire, "
      "hazard:person_trapped, hazard:leak_into_home, hazard:injury, hazard:electrical_danger", false, 0, 0,
      "24x7, on-call staff at any hour" },
    { "priority/urgent", T_TERMS,
      "category:lift, category:water_leak, category:electrical, hazard:no_power, hazard:no_water, channel:hotline",
      false, 0, 0, "before the normal queue" },
    { "priority/low", T_TERMS, "type:suggestion, type:enquiry", false, 0, 0, "after the normal queue" },

    { "security", T_SECTION, NULL, false, 0, 0, "CURVE for tcp:// endpoints (ipc:// needs none)" },
    { "security/curve", T_BOOL, "true", false, 0, 0, "CURVE on every tcp:// endpoint; false runs them in the clear" },
    { "security/cluster_certificate", T_PATH, NULL, false, 0, 0,
      "the cluster's certificate (zcert): its public key for clients, its _secret file on cluster hosts" },
    { "security/certificate", T_PATH, NULL, false, 0, 0, "this host's own certificate (zcert, with its _secret file)" },
    { "security/allowed_keys", T_PATH, NULL, false, 0, 0, "directory of the public certificates the cluster admits" },

    { "archive", T_SECTION, NULL, false, 0, 0, "kefu-archive: every event of every stream" },
    { "archive/retention", T_DURATION, "3660d", false, S_DAY, 36600 * S_DAY,
      "how long the archive keeps an event after it occurred (default ten years and ten days, for audits)" },
    { "archive/recover_wait", T_DURATION, "60s", false, 1000, 3600000,
      "how long a daemon restored from a backup waits for the archive to give back what it lost, before it "
      "gives up starting (and is started again)" },

    { "services", T_SECTION, NULL, false, 0, 0, "the daemons" },
    S_SERVICE ("intake"),
    S_SERVICE ("dispatch"),
    S_SERVICE ("escalation"),
    S_SERVICE ("survey"),
    S_SERVICE ("billing"),
    S_SERVICE ("archive"),
    S_SERVICE ("registry"),
    S_SERVICE ("desk"),
    S_SERVICE ("notify"),
    { "services/gateway", T_SECTION, NULL, false, 0, 0, "the HTTP gateway" },
    { "services/gateway/listen", T_LISTEN, "127.0.0.1:8080", false, 0, 0, "address of the HTTP API, console and /metrics" },
    { "services/gateway/console", T_PATH, "services/gateway/console", false, 0, 0,
      "directory of the web console's files" },
    { "services/gateway/max_body", T_INT, "8388608", false, 1024, 67108864,
      "bytes of one request body (a units import of 100,000 lines needs about 6 MiB)" },
    { "services/gateway/timeout", T_DURATION, "10s", false, 100, 600000,
      "how long a request waits for its daemon before 504" },
    { "services/gateway/max_connections", T_INT, "1000", false, 8, 60000,
      "connections served at once; a request past them gets 503 (the file-descriptor limit is raised to fit)" },
    { "services/gateway/max_per_address", T_INT, "128", false, 1, 60000,
      "connections of one client address at once; more are refused at accept (an office behind NAT is one address)" },
    { "services/gateway/head_timeout", T_DURATION, "10s", false, 100, 600000,
      "a request's head (line and headers) must be whole this long after the connection opens, however slowly it comes" },
    { "services/gateway/idle_timeout", T_DURATION, "30s", false, 1000, 600000,
      "a connection that sends nothing this long is closed; also how long a kept-alive one waits for its next request" },

    { "gateway", T_SECTION, NULL, false, 0, 0, "who may use the HTTP API" },
    { "gateway/tokens", T_SECTION, NULL, false, 0, 0, "API tokens, by name (the name is what logs show)" },
    { "gateway/tokens/*", T_SECTION, NULL, false, 0, 0, "one token" },
    { "gateway/tokens/*/secret", T_STRING, NULL, true, 0, 0,
      "what clients send (Authorization: Bearer ...): 16 to 200 characters; never logged" },
    { "gateway/tokens/*/estate", T_STRING, "*", false, 0, 0, "the estate it is bound to, or * for the whole group" },
    { "gateway/tokens/*/role", T_ROLE, NULL, true, 0, 0, "what it may do" },
    { "gateway/tokens/*/staff", T_ID, NULL, false, 0, 0, "who acts through it, for timelines (default: its name)" },
    { "gateway/payments", T_SECTION, NULL, false, 0, 0,
      "the group's payment gateway: POST /payments/callback records a payment (docs/gateway.md)" },
    { "gateway/payments/secret", T_STRING, NULL, false, 0, 0,
      "the callback's HMAC-SHA256 key, shared with the payment gateway: 16 to 200 characters; unset: no callback" },
    { "gateway/payments/tolerance", T_DURATION, "5m", false, 1000, 3600000,
      "how far a callback's signing time may be from the gateway's clock (a replay older than this is refused)" },
    { "gateway/sessions", T_SECTION, NULL, false, 0, 0, "people's sessions in the console (kept by the gateway)" },
    { "gateway/sessions/idle", T_DURATION, "30m", false, 60000, 7 * S_DAY,
      "a session nobody used this long ends (the console signs out)" },
    { "gateway/sessions/lifetime", T_DURATION, "12h", false, 60000, 30 * S_DAY,
      "a session ends this long after its sign-in however much it is used: a shift, then sign in again" },
    { "gateway/sessions/recheck", T_DURATION, "60s", false, 1000, 3600000,
      "how often a session's account is asked after: a disabled account or a new password ends its sessions by then" },
    { "gateway/owners", T_SECTION, NULL, false, 0, 0,
      "owners' and tenants' sign-in by a one-time code to their phone in the register (the owners' page, /owner)" },
    { "gateway/owners/code_life", T_DURATION, "5m", false, 60000, 1800000, "how long a code is good for" },
    { "gateway/owners/attempts", T_INT, "5", false, 1, 10, "wrong codes that end a code" },
    { "gateway/owners/codes_per_hour", T_INT, "5", false, 1, 20,
      "codes a phone may be sent an hour; a unit twice as many, whatever the phones" },
    { "gateway/owners/code_gap", T_DURATION, "1m", false, 1000, 3600000,
      "the least time between two codes to one phone" },

    { "accounts", T_SECTION, NULL, false, 0, 0, "staff accounts: people who sign in as themselves (kefu-dispatch keeps them)" },
    { "accounts/lockout_after", T_INT, "5", false, 1, 100,
      "wrong passwords in a row that lock an account" },
    { "accounts/lockout_for", T_DURATION, "15m", false, 1000, 7 * S_DAY,
      "how long a locked account stays locked (kefuctl users enable ends it sooner)" },
    { "accounts/password_min", T_INT, "10", false, 8, 128,
      "characters a password has at least (kefuctl checks it before hashing)" },
};
const size_t kf_config_schema_size = sizeof kf_config_schema / sizeof kf_config_schema [0];

bool
kf_config_valid_id (const char *text)
{
    size_t n = 0;
    for (; text && text [n]; n++) {
        char c = text [n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return false;
    }
    return n >= 1 && n <= KF_ID_MAX;
}

//  Whether a concrete path matches a schema pattern, segment by segment.
static bool
s_matches (const char *pattern, const char *path)
{
    while (*pattern && *path) {
        const char *pend = strchr (pattern, '/'), *send = strchr (path, '/');
        size_t plen = pend ? (size_t) (pend - pattern) : strlen (pattern);
        size_t slen = send ? (size_t) (send - path) : strlen (path);
        if (!(plen == 1 && *pattern == '*') && (plen != slen || memcmp (pattern, path, plen) != 0))
            return false;
        pattern += plen + (pend != NULL);
        path += slen + (send != NULL);
        if ((pend == NULL) != (send == NULL))
            return false;
    }
    return *pattern == 0 && *path == 0;
}

const kf_config_key_t *
kf_config_key_find (const char *path)
{
    for (size_t i = 0; i < kf_config_schema_size; i++)
        if (s_matches (kf_config_schema [i].path, path))
            return &kf_config_schema [i];
    return NULL;
}

//  The keys allowed under a section, for "expected one of ..." messages.
void
kf_config_keys_under (const char *section_path, char *out, size_t size)
{
    size_t len = 0;
    out [0] = 0;
    for (size_t i = 0; i < kf_config_schema_size; i++) {
        const char *p = kf_config_schema [i].path;
        const char *last = strrchr (p, '/');
        char parent [128] = "";
        if (last)
            snprintf (parent, sizeof parent, "%.*s", (int) (last - p), p);
        bool child = section_path [0] ? (last && s_matches (parent, section_path)) : !last;
        if (!child)
            continue;
        const char *name = last ? last + 1 : p;
        int n = snprintf (out + len, size - len, "%s%s", len ? ", " : "",
                          strcmp (name, "*") == 0 ? "<id>" : name);
        if (n < 0 || (size_t) n >= size - len)
            break;
        len += (size_t) n;
    }
}

void
kf_config_print_schema (FILE *out)
{
    for (size_t i = 0; i < kf_config_schema_size; i++) {
        const kf_config_key_t *key = &kf_config_schema [i];
        if (key->type == T_SECTION)
            fprintf (out, "%s/\n    %s\n", key->path, key->help);
        else
            fprintf (out, "%s = %s%s\n    %s; %s\n", key->path,
                     key->fallback ? key->fallback : "", key->required ? "  (required)" : "",
                     key->help, kf_config_type_names [key->type]);
    }
}
