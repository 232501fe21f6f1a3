/*  kefuctl — what the commands share: the configuration, how to reach a
    daemon and wait for its reply (never longer than --timeout), and how to
    print for people (aligned tables, CJK counted as two columns) or for
    scripts (--json, one protobuf-JSON document).

    Exit status: 0 done, 1 the request failed (the daemon said no, or did
    not answer in time), 2 the command line was wrong. Every failure is one
    line on stderr starting "kefuctl: ".
*/
#ifndef CTL_H_INCLUDED
#define CTL_H_INCLUDED

#include <czmq.h>
#include <getopt.h>
#include "kf_codec.h"
#include "kf_config.h"
#include "kf_net.h"
#include "commands.pb-c.h"
#include "envelope.pb-c.h"

#define CTL_FAILED 1
#define CTL_USAGE  2

typedef struct {
    const char *config_path;
    kf_config_t *config;       //  loaded on first use
    kf_net_t *net;             //  CURVE for tcp:// endpoints
    bool json;
    int timeout_ms;
    const char *actor;
    Kf__Role role;
    const char *scope;         //  empty: the whole group
    bool keep_failed;          //  keep a refused reply in `failed` (its result may explain: an import's report)
    Kf__Reply *failed;         //  to kf_codec_free
} ctl_t;

typedef struct _ctl_command_t ctl_command_t;
struct _ctl_command_t {
    const char *name;          //  the words that call it: "clock", "order pause"
    const char *summary;       //  one line, for kefuctl --help
    const char *usage;         //  kefuctl NAME --help: the synopsis and what it does
    int (*run) (ctl_t *ctl, int argc, char **argv);
    //  The actions that parse their own options (order STEP, report NAME),
    //  ended by one without a name; NULL when there are none. An action
    //  without a usage has its command's.
    const ctl_command_t *actions;
};

//  Every command, in the order kefuctl --help lists them; NULL-terminated.
extern const ctl_command_t *const ctl_commands [];

//  Print "kefuctl: ..." on stderr; return `code`.
int ctl_fail (int code, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

//  The configuration, loaded once; NULL after printing why.
kf_config_t *ctl_config (ctl_t *ctl);

//  Or'ed into an option's has_arg in a spec: it may be given more than
//  once (--hazard H...). Any other option with a value given twice is
//  refused ("--estate given twice"): the last one silently winning would
//  drop what was typed first.
#define CTL_REPEATED 0x100

//  For a parser of options: -1 after saying "COMMAND: --NAME given twice"
//  (no COMMAND: kefuctl's own options) when option `index` of `spec` takes
//  a value, may not be repeated and is marked in *seen already; else marks
//  it and returns 0.
int ctl_option_once (const char *command, const struct option *spec, int index, uint64_t *seen);

//  Parse a command's options. `spec` is getopt_long's; --json and --help
//  (or -h) are added to every command. A negative number ("-5", "-2h") is
//  an operand or a value, never taken for an option. Calls on_option for each of the command's
//  own; returns the index of the first operand, or -1 after printing help
//  (*code 0) or an error (*code 2). On -1 the command stops and returns
//  *code, help included: a helper that parses for a command takes the same
//  form (-1 and the code), so that nobody carries on after the usage.
typedef int (ctl_option_fn) (ctl_t *ctl, int option, const char *value, void *arg);
int ctl_options (ctl_t *ctl, const ctl_command_t *command, int argc, char **argv, const struct option *spec,
                 ctl_option_fn *on_option, void *arg, int *code);

//  For commands without options of their own.
int ctl_no_option (ctl_t *ctl, int option, const char *value, void *arg);

//  argv [first..argc) joined with spaces (malloc; NULL when there are none
//  or out of memory): the words of a note, reason or description.
char *ctl_join (int argc, char **argv, int first);

//  Send a request to a daemon's command endpoint and wait for the reply,
//  at most ctl->timeout_ms. NULL (after printing why) when it did not
//  answer or answered with an error; else the reply, to kf_codec_free.
//  `who` names the daemon in messages ("kefu-intake").
Kf__Reply *ctl_call (ctl_t *ctl, const char *who, const char *endpoint, Kf__Request *request);

//  The same to several daemons at once: replies [i] is NULL for each that
//  failed (printed). Returns how many answered.
size_t ctl_call_many (ctl_t *ctl, size_t count, const char *const *who, const char *const *endpoints,
                      Kf__Request *request, Kf__Reply **replies);

//  A request with the caller's identity filled in.
void ctl_request_init (ctl_t *ctl, Kf__Request *request);

//  An enum value from the command line: its short name in any case.
//  Prints the choices and returns -1 when there is no such value.
int ctl_enum (const ProtobufCEnumDescriptor *descriptor, const char *option, const char *text, int *value);
const char *ctl_enum_name (const ProtobufCEnumDescriptor *descriptor, int value);

//  The JSON of a message on stdout, one line; its repeated fields are
//  there even when empty ([]).
int ctl_print_json (const ProtobufCMessage *msg);

//  Local time in an estate's offset (the first estate's when NULL):
//  "2026-11-23 18:05".
const char *ctl_time (ctl_t *ctl, const char *estate, int64_t utc_ms, char *buf, size_t size);

//  --date YYYY-MM-DD as yyyymmdd (0 when text is NULL); -1 after printing
//  why, naming the command and the option.
int ctl_yyyymmdd (const char *command, const char *option, const char *text, uint32_t *date);

//  yyyymmdd as "2026-12-03"; "-" for 0. Returns buf.
const char *ctl_day (uint32_t yyyymmdd, char *buf, size_t size);

//  Print a reply's result (`want`): as JSON with --json, else with print.
//  Frees the reply; NULL (the call failed, already said) is CTL_FAILED.
//  `who` names the daemon when the result is another.
int ctl_print_result (ctl_t *ctl, const char *who, Kf__Reply *reply, Kf__Reply__ResultCase want,
                      void (*print) (ctl_t *ctl, const Kf__Reply *reply));

//  The estate a command is for: `named` (its --estate), else the caller's
//  --scope; NULL after saying why, with *code CTL_USAGE (none given) or
//  CTL_FAILED (no such estate).
const char *ctl_estate (ctl_t *ctl, const char *command, const char *named, int *code);

//  A time for --from/--to, in the estate's offset (the first estate's when
//  NULL); a bare date given as --to includes that day. -1 after printing
//  why, naming the command.
int ctl_period_time (ctl_t *ctl, const char *command, const char *estate, const char *text, bool end, int64_t *ms);

//  ---- list commands ----------------------------------------------------------------
typedef struct _ctl_table_t ctl_table_t;

//  One reply of a list: add its rows to `table` (NULL with --json: print
//  the list, or with `all` each row, as JSON) and say how many rows, the
//  total and the next page's token. -1 when the reply is not the list.
typedef struct {
    size_t rows;
    uint64_t total;
    bool uncounted;           //  the daemon does not count beyond the page (histories): no total
    const char *next_token;   //  into the reply
} ctl_page_t;
typedef int (ctl_page_fn) (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page,
                           void *arg);

//  Ask for a page, or with `all` every page, and print the table with a
//  last line "N of M <noun>s", or "N <noun>s" when uncounted (and how to
//  get the next page). `page` is the
//  request's PageRequest, whose token this advances. Returns 0 or CTL_FAILED.
int ctl_list_pages (ctl_t *ctl, const char *who, const char *endpoint, Kf__Request *request, Kf__PageRequest *page,
                    bool all, ctl_table_t *table, const char *noun, ctl_page_fn *fn, void *arg);

//  --page-size N for list commands: 1..500, or -1 after printing why.
int ctl_page_size (const char *command, const char *value, Kf__PageRequest *page);

//  ---- tables ------------------------------------------------------------------
ctl_table_t *ctl_table_new (size_t columns, ...);   //  the headings
//  Add a row of `columns` strings (copied; NULL prints as "-").
void ctl_table_row (ctl_table_t *self, ...);
//  Print aligned; the last column is not padded. Destroys the table (only
//  that when out is NULL).
void ctl_table_print (ctl_table_t **self_p, FILE *out);

//  Text cut to `columns` display columns, "…" marking the cut; newlines
//  become spaces. Returns buf.
const char *ctl_cut (const char *text, size_t columns, char *buf, size_t size);

//  ---- the commands, by file -----------------------------------------------------
extern const ctl_command_t ctl_file_command, ctl_show_command, ctl_list_command, ctl_note_command,
    ctl_close_command, ctl_reopen_command, ctl_cancel_command;
extern const ctl_command_t ctl_orders_command, ctl_order_command, ctl_staff_command, ctl_users_command;
extern const ctl_command_t ctl_sla_command, ctl_report_command;
extern const ctl_command_t ctl_units_command, ctl_billing_command;
extern const ctl_command_t ctl_visits_command, ctl_evaluation_command;
extern const ctl_command_t ctl_history_command;
extern const ctl_command_t ctl_lookup_command, ctl_household_command, ctl_registry_command;
extern const ctl_command_t ctl_desk_command;
extern const ctl_command_t ctl_plans_command, ctl_rounds_command;
extern const ctl_command_t ctl_notify_command;

//  The reports of each service: report <name> [options], argv [0] the name.
int ctl_report_sla (ctl_t *ctl, int argc, char **argv);
int ctl_report_collection (ctl_t *ctl, int argc, char **argv);
int ctl_report_arrears (ctl_t *ctl, int argc, char **argv);
int ctl_report_satisfaction (ctl_t *ctl, int argc, char **argv);
int ctl_report_pareto (ctl_t *ctl, int argc, char **argv);
int ctl_report_daily (ctl_t *ctl, int argc, char **argv);
//  The daemons that answer commands: the five services, then each estate
//  intake of edge mode. `names` picks some by service name or producer id.
#define CTL_DAEMONS_MAX 16
typedef struct {
    size_t count;
    const char *who [CTL_DAEMONS_MAX];
    const char *endpoint [CTL_DAEMONS_MAX];
    char labels [CTL_DAEMONS_MAX][80];
} ctl_daemons_t;
int ctl_daemons (ctl_t *ctl, int count, char **names, ctl_daemons_t *d);

//  Ask every daemon named in argv after the options (all when none) the
//  same thing: 0 when asked (the replies are in), or -1 and what the
//  command returns in *code (its --help included: nothing was asked).
int ctl_ask_all (ctl_t *ctl, const ctl_command_t *command, int argc, char **argv, Kf__Request *request,
                 ctl_daemons_t *d, Kf__Reply **replies, size_t *answered, int *code);

//  ctl_ask_all with GetBusStatus: every daemon's cursors, heads, producers, alarms.
int ctl_ask_status (ctl_t *ctl, const ctl_command_t *command, int argc, char **argv, ctl_daemons_t *d,
                    Kf__Reply **replies, size_t *answered, int *code);

extern const ctl_command_t ctl_top_command, ctl_streams_command, ctl_restore_command, ctl_openapi_command;
extern const ctl_command_t ctl_tap_command, ctl_lag_command, ctl_clock_command, ctl_backup_command,
    ctl_ping_command, ctl_keys_command;

#endif
