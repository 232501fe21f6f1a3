/*  kefuctl desk — each shift's duty log and its handover (log, handover,
    takeover, shifts, check). See ctl_desk.h.  */
#include "ctl_desk.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_time.h"

#include <stdlib.h>

//  ---- the duty log and the handover --------------------------------------------------------

static void
s_print_shift_one (ctl_t *ctl, const Kf__DutyShift *s)
{
    char day [16], when [64], money [32];
    printf ("%s %s shift of %s: %zu entr%s", s->estate, s->shift, ctl_day (s->date, day, sizeof day), s->n_entries,
            s->n_entries == 1 ? "y" : "ies");
    if (s->handed_by)
        printf (", handed over by %s to %s at %s", s->handed_by, s->handed_to ? s->handed_to : "-",
                ctl_time (ctl, s->estate, s->handed_at_ms, when, sizeof when));
    if (s->taken_by)
        printf (", taken by %s", s->taken_by);
    if (s->checked_by)
        printf (", checked by %s%s%s", s->checked_by, s->check_note ? ": " : "", s->check_note ? s->check_note : "");
    printf ("\n");
    for (size_t i = 0; i < s->n_entries; i++) {
        const Kf__DutyEntry *e = s->entries [i];
        printf ("  %s  %-6s %-8s %s", ctl_time (ctl, s->estate, e->at_ms, when, sizeof when), e->by ? e->by : "-",
                ctl_enum_name (&kf__duty_entry_kind__descriptor, e->kind), e->text);
        if (e->amount_fen)
            printf ("  ¥%s", kf_fen_format (e->amount_fen, money, sizeof money));
        printf ("\n");
    }
    const Kf__HandoverOpen *o = s->open;
    if (!o)
        return;
    struct { const char *what; char **list; size_t n; uint32_t total; } parts [] = {
        { "open tickets", o->tickets, o->n_tickets, o->ticket_count },
        { "keys and items out", o->loans_out, o->n_loans_out, (uint32_t) o->n_loans_out },
        { "permits pending", o->permits_pending, o->n_permits_pending, (uint32_t) o->n_permits_pending },
        { "violations open", o->violations_open, o->n_violations_open, (uint32_t) o->n_violations_open },
        { "targets missed", o->breaches, o->n_breaches, (uint32_t) o->n_breaches },
    };
    printf ("  still open at the handover:\n");
    for (size_t p = 0; p < sizeof parts / sizeof parts [0]; p++) {
        printf ("    %-19s %u", parts [p].what, parts [p].total);
        for (size_t i = 0; i < parts [p].n; i++)
            printf ("%s%s", i ? ", " : "  ", parts [p].list [i]);
        printf ("\n");
    }
}

static void
s_print_shift (ctl_t *ctl, const Kf__Reply *reply)
{
    s_print_shift_one (ctl, reply->duty_shift);
}

static void
s_print_shifts (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__DutyShiftList *l = reply->duty_shifts;
    for (size_t i = 0; i < l->n_shifts; i++)
        s_print_shift_one (ctl, l->shifts [i]);
    printf ("%zu shift%s\n", l->n_shifts, l->n_shifts == 1 ? "" : "s");
}

int
ctl_desk_duty (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action)
{
    (void) operands;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    uint32_t date;
    char command [32];
    snprintf (command, sizeof command, "desk %s", action);
    if (ctl_yyyymmdd (command, "--date", a->date, &date))
        return CTL_USAGE;
    bool list = strcmp (action, "shifts") == 0 || strcmp (action, "check") == 0;
    if (!list && !a->shift)
        return ctl_fail (CTL_USAGE, "%s: which shift? --shift NAME (day, night)", command);
    Kf__LogDuty log = KF__LOG_DUTY__INIT;
    Kf__DutyEntry entry = KF__DUTY_ENTRY__INIT;
    Kf__HandOver over = KF__HAND_OVER__INIT;
    Kf__TakeOver take = KF__TAKE_OVER__INIT;
    Kf__CheckHandovers check = KF__CHECK_HANDOVERS__INIT;
    Kf__ListShifts shifts = KF__LIST_SHIFTS__INIT;
    if (strcmp (action, "log") == 0) {
        int value;
        if (!a->kind || !a->text)
            return ctl_fail (CTL_USAGE, "desk log: give --kind (event, call, keys, cash, other) and --text");
        if (ctl_enum (&kf__duty_entry_kind__descriptor, "desk log --kind", a->kind, &value))
            return CTL_USAGE;
        KF_SET (&entry, kind, (Kf__DutyEntryKind) value);
        entry.text = (char *) a->text;
        if (a->amount) {
            kf_err_t err;
            int64_t fen;
            if (kf_fen_parse (a->amount, &fen, &err))
                return ctl_fail (CTL_USAGE, "desk log: --amount: %s", err.text);
            KF_SET (&entry, amount_fen, fen);
        }
        log.estate = (char *) estate;
        KF_SET (&log, date, date);
        log.shift = (char *) a->shift;
        log.entry = &entry;
        request.command_case = KF__REQUEST__COMMAND_LOG_DUTY;
        request.log_duty = &log;
    }
    else
    if (strcmp (action, "handover") == 0) {
        if (!a->to)
            return ctl_fail (CTL_USAGE, "desk handover: to whom? --to STAFF");
        over.estate = (char *) estate;
        KF_SET (&over, date, date);
        over.shift = (char *) a->shift;
        over.to = (char *) a->to;
        over.note = (char *) a->note;
        request.command_case = KF__REQUEST__COMMAND_HAND_OVER;
        request.hand_over = &over;
    }
    else
    if (strcmp (action, "takeover") == 0) {
        take.estate = (char *) estate;
        KF_SET (&take, date, date);
        take.shift = (char *) a->shift;
        request.command_case = KF__REQUEST__COMMAND_TAKE_OVER;
        request.take_over = &take;
    }
    else
    if (strcmp (action, "check") == 0) {
        check.estate = (char *) estate;
        KF_SET (&check, date, date);
        check.note = (char *) a->note;
        request.command_case = KF__REQUEST__COMMAND_CHECK_HANDOVERS;
        request.check_handovers = &check;
    }
    else {
        shifts.estate = (char *) estate;
        KF_SET (&shifts, date, date);
        request.command_case = KF__REQUEST__COMMAND_LIST_SHIFTS;
        request.list_shifts = &shifts;
    }
    return list ? ctl_print_result (ctl, "kefu-desk", ctl_desk_call (ctl, &request), KF__REPLY__RESULT_DUTY_SHIFTS,
                                    s_print_shifts)
                : ctl_print_result (ctl, "kefu-desk", ctl_desk_call (ctl, &request), KF__REPLY__RESULT_DUTY_SHIFT,
                                    s_print_shift);
}
