/*  kefuctl history — a case's or an estate's events, from the archive.  */
#include "ctl.h"
#include "kf_outbox.h"
#include "kf_summary.h"

#include <inttypes.h>

typedef struct {
    Kf__GetHistory *query;
    Kf__PageRequest *page;
    const char *from, *to;
    bool all;
} s_history_t;

static int
s_history_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_history_t *a = arg;
    switch (option) {
        case 'e': a->query->estate = (char *) value; break;
        case 'f': a->from = value; break;
        case 'T': a->to = value; break;
        case 'a': a->all = true; break;
        case 'P': a->page->page_token = (char *) value; break;
        case 'n':
            return ctl_page_size ("history", value, a->page);
    }
    return 0;
}

static int
s_event_rows (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page, void *arg)
{
    (void) arg;
    if (reply->result_case != KF__REPLY__RESULT_HISTORY)
        return -1;
    const Kf__History *history = reply->history;
    page->rows = history->n_events;
    page->uncounted = true;
    page->next_token = history->next_token;
    if (!table && !all) {
        ctl_print_json (&history->base);
        return 0;
    }
    for (size_t i = 0; i < history->n_events; i++) {
        const Kf__Envelope *e = history->events [i];
        if (!table) {
            ctl_print_json (&e->base);
            continue;
        }
        char when [64], kind [64], where [KF_STREAM_MAX + 24], summary [1024], text [200];
        const ProtobufCMessage *body = kf_event_body (e);
        kf_codec_event_kind (&e->base, kind, sizeof kind);
        snprintf (where, sizeof where, "%s#%" PRIu64, e->stream ? e->stream : "?", e->seq);
        ctl_table_row (table, ctl_time (ctl, e->estate, e->occurred_at_ms, when, sizeof when), kind, where,
                       e->actor, ctl_cut (body ? kf_summary (body, NULL, summary, sizeof summary)
                                               : "(a kind this build does not know)", 90, text, sizeof text));
    }
    return 0;
}

static int
s_history (ctl_t *ctl, int argc, char **argv)
{
    static const struct option spec [] = {
        { "estate", required_argument, NULL, 'e' }, { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 'T' }, { "page-size", required_argument, NULL, 'n' },
        { "page", required_argument, NULL, 'P' }, { "all", no_argument, NULL, 'a' },
        { NULL, 0, NULL, 0 }
    };
    Kf__GetHistory query = KF__GET_HISTORY__INIT;
    Kf__PageRequest page = KF__PAGE_REQUEST__INIT;
    s_history_t a = { .query = &query, .page = &page };
    query.page = &page;
    int code;
    int first = ctl_options (ctl, &ctl_history_command, argc, argv, spec, s_history_option, &a, &code);
    if (first < 0)
        return code;
    if (first < argc - 1)
        return ctl_fail (CTL_USAGE, "history: unexpected argument '%s'", argv [first + 1]);
    if (first < argc)
        query.ticket_no = argv [first];
    if (!query.ticket_no == !query.estate)
        return ctl_fail (CTL_USAGE, "history: give a TICKET, or --estate E (see kefuctl history --help)");
    if (query.ticket_no && (a.from || a.to))
        return ctl_fail (CTL_USAGE, "history: --from and --to go with --estate, not with a TICKET");
    if (!ctl_config (ctl))
        return CTL_FAILED;
    if (query.estate && !kf_config_estate_find (ctl->config, query.estate))
        return ctl_fail (CTL_FAILED, "history: unknown estate '%s'", query.estate);
    if (a.from && ctl_period_time (ctl, "history", query.estate, a.from, false, &query.from_ms))
        return CTL_USAGE;
    if (a.to && ctl_period_time (ctl, "history", query.estate, a.to, true, &query.to_ms))
        return CTL_USAGE;
    query.has_from_ms = a.from != NULL;
    query.has_to_ms = a.to != NULL;
    if (a.from && a.to && query.from_ms >= query.to_ms)
        return ctl_fail (CTL_USAGE, "history: --from must be before --to");

    Kf__Request request;
    ctl_request_init (ctl, &request);
    request.command_case = KF__REQUEST__COMMAND_HISTORY;
    request.history = &query;
    ctl_table_t *table = ctl->json ? NULL : ctl_table_new (5, "WHEN", "EVENT", "STREAM#SEQ", "ACTOR", "WHAT");
    return ctl_list_pages (ctl, "kefu-archive", kf_config_str (ctl->config, "services/archive/endpoint"), &request,
                           &page, a.all, table, "event", s_event_rows, NULL);
}

const ctl_command_t ctl_history_command = {
    "history", "every event of a case, or of an estate between two times, from the archive",
    "history TICKET | --estate E [--from DATE] [--to DATE] [--page-size N] [--page TOKEN | --all]\n\n"
    "Reads the archive (kefu-archive), which keeps every event of every stream for archive/retention:\n"
    "TICKET's events (the ticket's, its orders', clocks' and visits'), or an estate's events that\n"
    "occurred between --from and --to, oldest first. DATE is 2026-11-23 or 2026-11-23 18:00 in the\n"
    "estate's local time; --to a date includes that day. A page holds 200 events unless --page-size\n"
    "says; --page TOKEN shows the next one, --all every page. With --json, one History per page\n"
    "(--all: one Envelope per line).", s_history, NULL
};
