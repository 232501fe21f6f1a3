/*  kefuctl — the shared parts. See ctl.h.  */
#include "ctl.h"
#include "kf_field.h"
#include "kf_json.h"
#include "kf_time.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>

const ctl_command_t *const ctl_commands [] = {
    &ctl_lookup_command, &ctl_file_command, &ctl_show_command, &ctl_list_command, &ctl_note_command, &ctl_close_command,
    &ctl_reopen_command, &ctl_cancel_command,
    &ctl_orders_command, &ctl_order_command, &ctl_staff_command, &ctl_users_command,
    &ctl_sla_command, &ctl_visits_command, &ctl_evaluation_command, &ctl_household_command, &ctl_registry_command,
    &ctl_units_command,
    &ctl_billing_command, &ctl_desk_command, &ctl_plans_command, &ctl_rounds_command, &ctl_notify_command,
    &ctl_report_command, &ctl_history_command,
    &ctl_tap_command, &ctl_lag_command, &ctl_top_command, &ctl_streams_command, &ctl_ping_command, &ctl_clock_command, &ctl_backup_command, &ctl_restore_command,
    &ctl_openapi_command,
    &ctl_keys_command,
    NULL
};

int
ctl_fail (int code, const char *format, ...)
{
    kf_err_t err;
    va_list args;
    va_start (args, format);
    kf_err_setv (&err, format, args);
    va_end (args);
    fprintf (stderr, "kefuctl: %s\n", err.text);
    return code;
}

kf_config_t *
ctl_config (ctl_t *ctl)
{
    if (!ctl->config) {
        kf_err_t err;
        ctl->config = kf_config_load (ctl->config_path, &err);
        if (!ctl->config)
            ctl_fail (CTL_FAILED, "%s", err.text);
    }
    return ctl->config;
}

int
ctl_option_once (const char *command, const struct option *spec, int index, uint64_t *seen)
{
    if (index < 0 || (spec [index].has_arg & ~CTL_REPEATED) == no_argument || (spec [index].has_arg & CTL_REPEATED))
        return 0;
    assert (index < 64);
    if (!(*seen & UINT64_C (1) << index)) {
        *seen |= UINT64_C (1) << index;
        return 0;
    }
    if (command)
        return ctl_fail (-1, "%s: --%s given twice (see kefuctl %s --help)", command, spec [index].name, command);
    return ctl_fail (-1, "--%s given twice (see kefuctl --help)", spec [index].name);
}

//  getopt takes "-5" for an option, but a negative number is an operand
//  (an amount, for the command to refuse with its reason; a clock moved
//  back) or an option's value. Such arguments are shown to getopt without
//  their '-' and given back after: getopt moves the pointers about, and
//  these stay recognisable.
#define S_HIDDEN_MAX 16
typedef struct {
    char *shown [S_HIDDEN_MAX];
    size_t count;
} s_hidden_t;

static void
s_hide_numbers (int argc, char **argv, s_hidden_t *h)
{
    h->count = 0;
    for (int i = 1; i < argc && strcmp (argv [i], "--") != 0 && h->count < S_HIDDEN_MAX; i++) {
        const char *a = argv [i];
        if (a [0] == '-' && (isdigit ((unsigned char) a [1]) || (a [1] == '.' && isdigit ((unsigned char) a [2]))))
            argv [i] = h->shown [h->count++] = argv [i] + 1;
    }
}

static char *
s_unhidden (char *arg, const s_hidden_t *h)
{
    for (size_t i = 0; arg && i < h->count; i++)
        if (arg == h->shown [i])
            return arg - 1;
    return arg;
}

static void
s_unhide_numbers (int argc, char **argv, const s_hidden_t *h)
{
    for (int i = 0; i < argc; i++)
        argv [i] = s_unhidden (argv [i], h);
}

int
ctl_options (ctl_t *ctl, const ctl_command_t *command, int argc, char **argv, const struct option *spec,
             ctl_option_fn *on_option, void *arg, int *code)
{
    //  --json and --help take values no command's option has (a command
    //  may use any letter for its own).
    enum { S_JSON = 0x10001, S_HELP = 0x10002 };
    struct option all [64];
    size_t n = 0;
    for (; spec && spec [n].name; n++) {
        assert (n < 61);
        all [n] = spec [n];
        all [n].has_arg &= ~CTL_REPEATED;
    }
    size_t specs = n;
    all [n++] = (struct option) { "json", no_argument, NULL, S_JSON };
    all [n++] = (struct option) { "help", no_argument, NULL, S_HELP };
    all [n] = (struct option) { NULL, 0, NULL, 0 };
    opterr = 0;
    optind = 0;   //  0, not 1: GNU getopt then forgets main's "+" ordering
    s_hidden_t hidden;
    s_hide_numbers (argc, argv, &hidden);
    uint64_t seen = 0;
    int c, index = -1;
    *code = CTL_USAGE;
    //  Options may follow operands ("clock advance 26h --file F"); after
    //  "--" everything is an operand, for texts that start with '-'. ':'
    //  reports a missing value.
    while ((c = getopt_long (argc, argv, ":h", all, &index)) != -1) {
        const char *value = s_unhidden (optarg, &hidden);
        int rc = 0;
        if (c == S_JSON)
            ctl->json = true;
        else
        if (c == S_HELP || c == 'h') {
            printf ("usage: kefuctl %s\n", command->usage);
            *code = 0;
            rc = -1;
        }
        else
        if (c == ':') {
            s_unhide_numbers (argc, argv, &hidden);
            rc = ctl_fail (-1, "%s: %s needs a value (see kefuctl %s --help)", command->name, argv [optind - 1],
                           command->name);
        }
        else
        if (c == '?') {
            s_unhide_numbers (argc, argv, &hidden);
            rc = ctl_fail (-1, "%s: unknown option %s (see kefuctl %s --help)", command->name, argv [optind - 1],
                           command->name);
        }
        else
        if (index < (int) specs && ctl_option_once (command->name, spec, index, &seen))
            rc = -1;
        else
            rc = on_option (ctl, c, value, arg);
        index = -1;
        if (rc) {
            s_unhide_numbers (argc, argv, &hidden);
            return -1;
        }
    }
    s_unhide_numbers (argc, argv, &hidden);
    return optind;
}

int
ctl_no_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl; (void) option; (void) value; (void) arg;
    return 0;
}

char *
ctl_join (int argc, char **argv, int first)
{
    if (first >= argc)
        return NULL;
    size_t size = 1;
    for (int i = first; i < argc; i++)
        size += strlen (argv [i]) + 1;
    char *text = calloc (1, size);
    for (int i = first; text && i < argc; i++) {
        if (i > first)
            strcat (text, " ");
        strcat (text, argv [i]);
    }
    return text;
}

void
ctl_request_init (ctl_t *ctl, Kf__Request *request)
{
    kf__request__init (request);
    static char id [33];
    snprintf (id, sizeof id, "%08x%08x", (unsigned) randof (0x7fffffff), (unsigned) getpid ());
    request->request_id = id;
    request->actor = (char *) ctl->actor;
    KF_SET (request, role, ctl->role);
    request->scope = ctl->scope && *ctl->scope ? (char *) ctl->scope : NULL;
}

static bool
s_net (ctl_t *ctl)
{
    if (!ctl->net) {
        kf_err_t err;
        if (!ctl_config (ctl))
            return false;
        ctl->net = kf_net_new (ctl->config, &err);
        if (!ctl->net) {
            ctl_fail (CTL_FAILED, "%s", err.text);
            return false;
        }
    }
    return true;
}

size_t
ctl_call_many (ctl_t *ctl, size_t count, const char *const *who, const char *const *endpoints,
               Kf__Request *request, Kf__Reply **replies)
{
    assert (count <= 16);
    zsock_t *sockets [16] = { NULL };
    bool waits [16] = { false };
    zpoller_t *poller = NULL;
    size_t answered = 0, waiting = 0;
    memset (replies, 0, count * sizeof *replies);
    if (!s_net (ctl))
        return 0;
    size_t size = protobuf_c_message_get_packed_size (&request->base);
    for (size_t i = 0; i < count; i++) {
        kf_err_t err;
        sockets [i] = zsock_new (ZMQ_DEALER);
        if (!sockets [i]) {
            ctl_fail (CTL_FAILED, "out of sockets");
            continue;
        }
        zsock_set_linger (sockets [i], 0);
        //  ZeroMQ would wait for an ipc:// socket that is not there: say so now.
        if (strncmp (endpoints [i], "ipc://", 6) == 0 && access (endpoints [i] + 6, F_OK) != 0) {
            ctl_fail (CTL_FAILED, "%s is not running (no socket at %s)", who [i], endpoints [i]);
            zsock_destroy (&sockets [i]);
            continue;
        }
        if (kf_net_connect (ctl->net, sockets [i], endpoints [i], &err)) {
            ctl_fail (CTL_FAILED, "%s at %s: %s", who [i], endpoints [i], err.text);
            zsock_destroy (&sockets [i]);
            continue;
        }
        zframe_t *frame = zframe_new (NULL, size);
        protobuf_c_message_pack (&request->base, zframe_data (frame));
        if (zframe_send (&frame, sockets [i], ZFRAME_DONTWAIT)) {
            zframe_destroy (&frame);
            ctl_fail (CTL_FAILED, "%s at %s: cannot send", who [i], endpoints [i]);
            zsock_destroy (&sockets [i]);
            continue;
        }
        if (!poller)
            poller = zpoller_new (sockets [i], NULL);
        else
            zpoller_add (poller, sockets [i]);
        waits [i] = true;
        waiting++;
    }
    int64_t deadline = zclock_mono () + ctl->timeout_ms;
    while (waiting && poller) {
        int64_t left = deadline - zclock_mono ();
        zsock_t *ready = left > 0 ? zpoller_wait (poller, (int) left) : NULL;
        if (!ready)
            break;
        size_t i = 0;
        while (i < count && sockets [i] != ready)
            i++;
        zframe_t *frame = zframe_recv (ready);
        kf_err_t err;
        Kf__Reply *reply = frame ? (Kf__Reply *) kf_codec_unpack (&kf__reply__descriptor, zframe_data (frame),
                                                                  zframe_size (frame), &err) : NULL;
        zframe_destroy (&frame);
        if (reply && reply->request_id && strcmp (reply->request_id, request->request_id) != 0) {
            kf_codec_free ((ProtobufCMessage **) &reply);
            continue;   //  a late answer to someone else's request: not ours
        }
        zpoller_remove (poller, ready);
        waits [i] = false;
        waiting--;
        if (!reply)
            ctl_fail (CTL_FAILED, "%s sent a reply that does not decode: %s", who [i], err.text);
        else
        if (reply->status != KF__REPLY_STATUS__REPLY_STATUS_OK) {
            ctl_fail (CTL_FAILED, "%s", reply->error && *reply->error ? reply->error : "request failed");
            if (ctl->keep_failed && !ctl->failed)
                ctl->failed = reply;
            else
                kf_codec_free ((ProtobufCMessage **) &reply);
        }
        else {
            replies [i] = reply;
            answered++;
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (waits [i])
            ctl_fail (CTL_FAILED, "no answer from %s at %s within %.1fs (is it running?)", who [i], endpoints [i],
                      ctl->timeout_ms / 1000.0);
        zsock_destroy (&sockets [i]);
    }
    zpoller_destroy (&poller);
    return answered;
}

Kf__Reply *
ctl_call (ctl_t *ctl, const char *who, const char *endpoint, Kf__Request *request)
{
    Kf__Reply *reply;
    return ctl_call_many (ctl, 1, &who, &endpoint, request, &reply) ? reply : NULL;
}

int
ctl_enum (const ProtobufCEnumDescriptor *descriptor, const char *option, const char *text, int *value)
{
    if (kf_enum_parse (descriptor, text, value) == 0 && *value != 0)
        return 0;
    char choices [1024] = "";
    size_t len = 0;
    for (unsigned i = 0; i < descriptor->n_values && len + 40 < sizeof choices; i++) {
        if (descriptor->values [i].value == 0)
            continue;
        char name [64];
        kf_enum_short_name (descriptor, descriptor->values [i].value, name, sizeof name);
        len += (size_t) snprintf (choices + len, sizeof choices - len, "%s%s", len ? ", " : "", name);
    }
    ctl_fail (CTL_USAGE, "%s '%s' is not one of: %s", option, text, choices);
    return -1;
}

const char *
ctl_enum_name (const ProtobufCEnumDescriptor *descriptor, int value)
{
    //  A few at a time in one printf: rotate through buffers.
    static char names [8][64];
    static int next;
    char *buf = names [next++ % 8];
    if (value == 0)
        return "-";
    return kf_enum_short_name (descriptor, value, buf, sizeof names [0]);
}

int
ctl_print_json (const ProtobufCMessage *msg)
{
    //  An empty list is [], so a script can iterate it: {"staff":[]}, not {}.
    char *json = kf_json_encode_lists (msg);
    if (!json)
        return ctl_fail (CTL_FAILED, "out of memory");
    puts (json);
    free (json);
    return 0;
}

const char *
ctl_time (ctl_t *ctl, const char *estate, int64_t utc_ms, char *buf, size_t size)
{
    int offset = 8 * 60;
    if (ctl->config) {
        const kf_estate_t *e = estate ? kf_config_estate_find (ctl->config, estate) : NULL;
        if (!e && kf_config_estate_count (ctl->config))
            e = kf_config_estate (ctl->config, 0);
        if (e)
            offset = e->utc_offset_min;
    }
    char iso [64];
    kf_time_format (utc_ms, offset, iso, sizeof iso);
    //  "2026-11-24T00:21:03.000+08:00" -> "2026-11-24 00:21:03"
    snprintf (buf, size, "%.10s %.8s", iso, iso + 11);
    return buf;
}

//  ---- tables ------------------------------------------------------------------------

//  Display columns of a code point: East Asian wide and full-width forms
//  take two, combining marks none.
static size_t
s_cp_width (uint32_t cp)
{
    if (cp == 0 || (cp >= 0x300 && cp <= 0x36f) || cp == 0x200b)
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3)
    ||  (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60)
    ||  (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd))
        return 2;
    return 1;
}

static size_t
s_width (const char *text)
{
    size_t width = 0, len = strlen (text);
    for (size_t at = 0; at < len; ) {
        uint32_t cp;
        size_t step = kf_utf8_decode (text + at, len - at, &cp);
        if (step == 0) {
            step = 1;
            cp = '?';
        }
        width += s_cp_width (cp);
        at += step;
    }
    return width;
}

const char *
ctl_cut (const char *text, size_t columns, char *buf, size_t size)
{
    size_t n = 0, width = 0, len = strlen (text), total = s_width (text);
    for (size_t at = 0; at < len; ) {
        uint32_t cp;
        size_t step = kf_utf8_decode (text + at, len - at, &cp);
        if (step == 0)
            break;
        size_t w = s_cp_width (cp);
        if ((total > columns && width + w + 1 > columns) || width + w > columns || n + step + 4 >= size)
            break;
        if (cp < 0x20)
            buf [n++] = ' ';
        else {
            memcpy (buf + n, text + at, step);
            n += step;
        }
        width += w;
        at += step;
    }
    if (total > columns && n + 4 < size) {
        memcpy (buf + n, "\xe2\x80\xa6", 3);
        n += 3;
    }
    buf [n] = 0;
    return buf;
}

struct _ctl_table_t {
    size_t columns;
    zlistx_t *rows;   //  of char ** (columns strings each)
};

static void
s_row_destroy (void **item)
{
    char **row = *item;
    for (size_t i = 0; row && row [i] != (char *) -1; i++)
        free (row [i]);
    free (row);
    *item = NULL;
}

static char **
s_row (size_t columns, va_list args)
{
    char **row = calloc (columns + 1, sizeof *row);
    if (!row)
        return NULL;
    for (size_t i = 0; i < columns; i++) {
        const char *text = va_arg (args, const char *);
        row [i] = strdup (text && *text ? text : "-");
    }
    row [columns] = (char *) -1;
    return row;
}

ctl_table_t *
ctl_table_new (size_t columns, ...)
{
    ctl_table_t *self = calloc (1, sizeof *self);
    assert (self);
    self->columns = columns;
    self->rows = zlistx_new ();
    zlistx_set_destructor (self->rows, s_row_destroy);
    va_list args;
    va_start (args, columns);
    zlistx_add_end (self->rows, s_row (columns, args));
    va_end (args);
    return self;
}

void
ctl_table_row (ctl_table_t *self, ...)
{
    va_list args;
    va_start (args, self);
    zlistx_add_end (self->rows, s_row (self->columns, args));
    va_end (args);
}

void
ctl_table_print (ctl_table_t **self_p, FILE *out)
{
    ctl_table_t *self = *self_p;
    size_t widths [32] = { 0 };
    if (!out) {
        zlistx_destroy (&self->rows);
        free (self);
        *self_p = NULL;
        return;
    }
    assert (self->columns <= 32);
    for (char **row = zlistx_first (self->rows); row; row = zlistx_next (self->rows))
        for (size_t i = 0; i < self->columns; i++) {
            size_t w = s_width (row [i]);
            if (w > widths [i])
                widths [i] = w;
        }
    for (char **row = zlistx_first (self->rows); row; row = zlistx_next (self->rows)) {
        for (size_t i = 0; i < self->columns; i++) {
            fputs (row [i], out);
            if (i + 1 < self->columns)
                fprintf (out, "%*s", (int) (widths [i] - s_width (row [i]) + 2), "");
        }
        fputc ('\n', out);
    }
    zlistx_destroy (&self->rows);
    free (self);
    *self_p = NULL;
}

int
ctl_page_size (const char *command, const char *value, Kf__PageRequest *page)
{
    char *end;
    long n = strtol (value, &end, 10);
    if (*end || n < 1 || n > 500)
        return ctl_fail (-1, "%s: --page-size '%s' is not from 1 to 500", command, value);
    KF_SET (page, page_size, (uint32_t) n);
    return 0;
}

int
ctl_list_pages (ctl_t *ctl, const char *who, const char *endpoint, Kf__Request *request, Kf__PageRequest *page,
                bool all, ctl_table_t *table, const char *noun, ctl_page_fn *fn, void *arg)
{
    int rc = 0;
    uint64_t total = 0, shown = 0;
    bool uncounted = false;
    char *token = NULL;
    do {
        Kf__Reply *reply = ctl_call (ctl, who, endpoint, request);
        ctl_page_t got = { 0 };
        if (!reply || fn (ctl, reply, table, all, &got, arg) < 0) {
            if (reply)
                ctl_fail (0, "%s answered with something other than a list of %ss", who, noun);
            rc = CTL_FAILED;
            kf_codec_free ((ProtobufCMessage **) &reply);
            break;
        }
        total = got.total;
        uncounted = got.uncounted;
        shown += got.rows;
        free (token);
        token = got.next_token && *got.next_token ? strdup (got.next_token) : NULL;
        page->page_token = token;
        kf_codec_free ((ProtobufCMessage **) &reply);
    } while (all && token);
    if (table && rc == 0) {
        ctl_table_print (&table, stdout);
        if (uncounted)
            printf ("%" PRIu64 " %s%s", shown, noun, shown == 1 ? "" : "s");
        else
            printf ("%" PRIu64 " of %" PRIu64 " %s%s", shown, total, noun, total == 1 ? "" : "s");
        if (token)
            printf ("; next page: --page %s (or --all)", token);
        printf ("\n");
    }
    else
    if (table)
        ctl_table_print (&table, NULL);
    page->page_token = NULL;
    free (token);
    return rc;
}

int
ctl_period_time (ctl_t *ctl, const char *command, const char *estate, const char *text, bool end, int64_t *ms)
{
    const kf_estate_t *e = estate ? kf_config_estate_find (ctl->config, estate) : NULL;
    if (!e)
        e = kf_config_estate (ctl->config, 0);
    kf_err_t err;
    if (kf_time_parse (text, e->utc_offset_min, ms, &err))
        return ctl_fail (-1, "%s: %s: %s", command, end ? "--to" : "--from", err.text);
    if (end && strlen (text) == 10)
        *ms += 24 * 3600 * 1000LL;
    return 0;
}

int
ctl_print_result (ctl_t *ctl, const char *who, Kf__Reply *reply, Kf__Reply__ResultCase want,
                  void (*print) (ctl_t *ctl, const Kf__Reply *reply))
{
    if (!reply)
        return CTL_FAILED;
    int rc = 0;
    if (reply->result_case != want)
        rc = ctl_fail (CTL_FAILED, "%s answered with something else", who);
    else
    if (ctl->json) {
        const ProtobufCFieldDescriptor *field = kf_codec_oneof_case (&reply->base, "pong");
        ctl_print_json (*(const ProtobufCMessage *const *) ((const char *) reply + field->offset));
    }
    else
        print (ctl, reply);
    kf_codec_free ((ProtobufCMessage **) &reply);
    return rc;
}

const char *
ctl_estate (ctl_t *ctl, const char *command, const char *named, int *code)
{
    const char *estate = named ? named : ctl->scope && *ctl->scope ? ctl->scope : NULL;
    if (!estate) {
        *code = ctl_fail (CTL_USAGE, "%s: --estate E is required (or kefuctl --scope E)", command);
        return NULL;
    }
    if (!kf_config_estate_find (ctl->config, estate)) {
        *code = ctl_fail (CTL_FAILED, "%s: unknown estate '%s'", command, estate);
        return NULL;
    }
    return estate;
}

int
ctl_yyyymmdd (const char *command, const char *option, const char *text, uint32_t *date)
{
    *date = 0;
    if (!text)
        return 0;
    int64_t day;
    kf_err_t err;
    if (kf_date_parse (text, &day, &err))
        return ctl_fail (-1, "%s: %s: %s", command, option, err.text);
    *date = kf_day_to_yyyymmdd (day);
    return 0;
}

const char *
ctl_day (uint32_t yyyymmdd, char *buf, size_t size)
{
    if (!yyyymmdd)
        return "-";
    snprintf (buf, size, "%04u-%02u-%02u", yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100);
    return buf;
}
