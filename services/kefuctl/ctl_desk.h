/*  ctl_desk — what kefuctl desk's files share (not for other commands): its
    options, the call to kefu-desk, and each action's handler.

    The files, one concern each:
      ctl_desk.c              the options, the actions' table, the help
      ctl_desk_loans.c        keys, items and stored things; release permits
      ctl_desk_cases.c        violations; interviews and communications
      ctl_desk_duty.c         the duty log and its handover
      ctl_desk_renovations.c  renovations: reviews, work, patrols, completion
*/
#ifndef CTL_DESK_H_INCLUDED
#define CTL_DESK_H_INCLUDED

#include "ctl.h"

#define CTL_DESK_ITEMS_MAX 20   //  --item, --evidence, --plan, --finding, --worker

//  Every option of every action: each action reads those it takes.
typedef struct {
    const char *estate, *unit, *person, *staff, *phone, *due, *note, *by, *kind, *plate, *date, *override_reason,
               *status;
    const char *items [CTL_DESK_ITEMS_MAX];
    size_t item_count;
    const char *what, *category, *served_to, *rectify_by, *outcome, *amount, *reason, *shift, *text, *to, *channel,
               *follow_up, *follow_up_by, *applicant, *contractor, *from, *until;
    bool pending, approve, refuse, raise, failed;
    const char *workers [CTL_DESK_ITEMS_MAX];
    size_t worker_count;
    bool close, open_only;
    long count;
    bool out, overdue, all;
    Kf__PageRequest page;
} ctl_desk_args_t;

const char *ctl_desk_endpoint (ctl_t *ctl);
Kf__Reply *ctl_desk_call (ctl_t *ctl, Kf__Request *request);

//  An action: its operands (as many as the table says) after the options,
//  `action` its name. Returns kefuctl's exit status.
typedef int (ctl_desk_fn) (ctl_t *ctl, ctl_desk_args_t *a, const char *estate, char **operands, const char *action);

ctl_desk_fn ctl_desk_lend, ctl_desk_return, ctl_desk_loans, ctl_desk_permit, ctl_desk_gate, ctl_desk_permits;
ctl_desk_fn ctl_desk_violation, ctl_desk_follow, ctl_desk_fine, ctl_desk_violations;
ctl_desk_fn ctl_desk_talk, ctl_desk_followed, ctl_desk_talks;
ctl_desk_fn ctl_desk_duty;
ctl_desk_fn ctl_desk_renovate, ctl_desk_review, ctl_desk_site, ctl_desk_renovations;

#endif
