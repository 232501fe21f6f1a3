/*  kf_config — the loader: a ZPL file read, every key checked against the
    schema (kf_config_schema.c), calendars and estates built, and the
    values read by path. See kf_config.h.
*/
#include "kf_config_private.h"
#include "kf_codec.h"
#include "kf_field.h"
#include "kf_rota.h"
#include "kf_sla.h"
#include "kf_time.h"
#include "types.pb-c.h"

#include <ctype.h>
#include <strings.h>
#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

const char *
kf_config_rule (const kf_config_t *config, const char *estate, const char *key, char *path, size_t size)
{
    snprintf (path, size, "estates/%s/%s", estate, key);
    if (!kf_config_has (config, path))
        snprintf (path, size, "%s", key);
    return path;
}

const char *
kf_config_backup_dir (const kf_config_t *self, char *path, size_t size)
{
    const char *dir = kf_config_str (self, "cluster/backup_dir");
    if (dir && *dir)
        snprintf (path, size, "%s", dir);
    else
        snprintf (path, size, "%s/backups", kf_config_str (self, "cluster/data_dir"));
    return path;
}

struct _kf_config_t {
    zconfig_t *root;
    char *origin;
    kf_estate_t *estates;
    size_t estate_count;
    kf_calendar_t **calendars;   //  one per estate, owned
    char **intakes;              //  defaulted intake ids, owned
    zhashx_t *estate_ids;        //  estate id -> its index + 1: every event asks, for a thousand estates
};

//  Check every node below `node` against the schema.
static int
s_check_tree (zconfig_t *node, const char *path, const char *origin, kf_err_t *err)
{
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
        const char *name = zconfig_name (child);
        char child_path [256];
        if (snprintf (child_path, sizeof child_path, "%s%s%s", path, *path ? "/" : "", name)
            >= (int) sizeof child_path)
            return kf_err_set (err, "%s: key path too long: %s", origin, child_path);
        for (zconfig_t *sib = zconfig_child (node); sib != child; sib = zconfig_next (sib))
            if (strcmp (zconfig_name (sib), name) == 0)
                return kf_err_set (err, "%s: %s is given twice", origin, child_path);
        const kf_config_key_t *key = kf_config_key_find (child_path);
        if (!key) {
            char expected [512];
            kf_config_keys_under (path, expected, sizeof expected);
            return kf_err_set (err, "%s: unknown key %s (expected one of: %s)", origin, child_path, expected);
        }
        //  A key that matched a '*' names something: it must be an identifier.
        const char *last = strrchr (key->path, '/');
        bool named = strcmp (last ? last + 1 : key->path, "*") == 0;
        if (named && !kf_config_valid_id (name))
            return kf_err_set (err, "%s: %s: '%s' is not an identifier (1-%d letters, digits, - or _)",
                               origin, child_path, name, KF_ID_MAX);
        const char *value = zconfig_value (child);
        if (key->type == T_SECTION) {
            if (value && *value)
                return kf_err_set (err, "%s: %s is a section: put its keys on the lines below it, indented 4 spaces",
                                   origin, child_path);
            if (s_check_tree (child, child_path, origin, err))
                return -1;
            continue;
        }
        if (zconfig_child (child))
            return kf_err_set (err, "%s: %s takes a value (%s), not keys below it", origin, child_path,
                               kf_config_type_names [key->type]);
        if (!value || !*value) {
            if (key->type == T_DATES)
                continue;
            return kf_err_set (err, "%s: %s has no value (expected %s)", origin, child_path, kf_config_type_names [key->type]);
        }
        if (kf_config_check_value (key, value, err))
            return kf_err_prefix (err, "%s: %s: ", origin, child_path);
    }
    return 0;
}

//  Required keys: each required pattern must exist under every instance of
//  its parent that exists (for "estates/*/name": in every estate).
static int
s_check_required (zconfig_t *node, const char *pattern, const char *path, const char *origin, kf_err_t *err)
{
    const char *slash = strchr (pattern, '/');
    size_t len = slash ? (size_t) (slash - pattern) : strlen (pattern);
    char segment [64];
    snprintf (segment, sizeof segment, "%.*s", (int) len, pattern);
    if (strcmp (segment, "*") == 0) {
        for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
            char child_path [256];
            snprintf (child_path, sizeof child_path, "%s/%s", path, zconfig_name (child));
            if (slash && s_check_required (child, slash + 1, child_path, origin, err))
                return -1;
        }
        return 0;
    }
    zconfig_t *child = zconfig_locate (node, segment);
    char child_path [256];
    snprintf (child_path, sizeof child_path, "%s%s%s", path, *path ? "/" : "", segment);
    if (!child)   //  an absent section holds no keys to require: its own entry says if it must exist
        return slash ? 0 : kf_err_set (err, "%s: %s is missing", origin, child_path);
    return slash ? s_check_required (child, slash + 1, child_path, origin, err) : 0;
}

static const char *
s_value (const kf_config_t *self, const char *path, const kf_config_key_t **key_p)
{
    const kf_config_key_t *key = kf_config_key_find (path);
    assert (key && key->type != T_SECTION);
    if (key_p)
        *key_p = key;
    zconfig_t *node = zconfig_locate (self->root, path);
    const char *value = node ? zconfig_value (node) : NULL;
    return value && *value ? value : key->fallback;
}

static kf_calendar_t *
s_build_calendar (const kf_config_t *self, const char *name, int offset, const char *origin, kf_err_t *err)
{
    static const char *days [] = { NULL, "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" };
    kf_calendar_t *calendar = kf_calendar_new (offset);
    if (!calendar) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    char base [128], path [192];
    snprintf (base, sizeof base, "calendars/%s", name);
    if (!zconfig_locate (self->root, base)) {
        if (strcmp (name, "default") == 0)
            return calendar;
        kf_err_set (err, "%s: no calendar '%s' under calendars", origin, name);
        kf_calendar_destroy (&calendar);
        return NULL;
    }
    int rc = 0;
    for (int wd = 1; wd <= 7 && rc == 0; wd++) {
        snprintf (path, sizeof path, "%s/%s", base, days [wd]);
        const char *hours = s_value (self, path, NULL);
        if (!hours) {
            snprintf (path, sizeof path, "%s/%s", base, wd <= 5 ? "weekday_hours" : "weekend_hours");
            hours = s_value (self, path, NULL);
        }
        rc = kf_calendar_set_hours (calendar, wd, hours, err);
    }
    snprintf (path, sizeof path, "%s/holiday_hours", base);
    rc = rc ? rc : kf_calendar_set_holiday_hours (calendar, s_value (self, path, NULL), err);
    snprintf (path, sizeof path, "%s/makeup_hours", base);
    rc = rc ? rc : kf_calendar_set_makeup_hours (calendar, s_value (self, path, NULL), err);
    snprintf (path, sizeof path, "%s/holidays", base);
    rc = rc ? rc : kf_config_parse_dates (s_value (self, path, NULL), calendar, true, err);
    snprintf (path, sizeof path, "%s/makeup_days", base);
    rc = rc ? rc : kf_config_parse_dates (s_value (self, path, NULL), calendar, false, err);
    if (rc) {
        kf_err_prefix (err, "%s: %s: ", origin, base);
        kf_calendar_destroy (&calendar);
    }
    return calendar;
}

static int
s_build_estates (kf_config_t *self, kf_err_t *err)
{
    zconfig_t *estates = zconfig_locate (self->root, "estates");
    for (zconfig_t *e = zconfig_child (estates); e; e = zconfig_next (e))
        self->estate_count++;
    if (self->estate_count == 0)
        return kf_err_set (err, "%s: estates lists no estate", self->origin);
    self->estates = calloc (self->estate_count, sizeof *self->estates);
    self->calendars = calloc (self->estate_count, sizeof *self->calendars);
    self->intakes = calloc (self->estate_count, sizeof *self->intakes);
    self->estate_ids = zhashx_new ();
    if (!self->estates || !self->calendars || !self->intakes || !self->estate_ids)
        return kf_err_set (err, "out of memory");
    size_t i = 0;
    for (zconfig_t *e = zconfig_child (estates); e; e = zconfig_next (e), i++) {
        kf_estate_t *estate = &self->estates [i];
        char path [128];
        snprintf (estate->id, sizeof estate->id, "%s", zconfig_name (e));
        //  (s_check_tree refused two estates of one id.)
        if (zhashx_insert (self->estate_ids, estate->id, (void *) (uintptr_t) (i + 1)))
            return kf_err_set (err, "%s: estate %s is listed twice", self->origin, estate->id);
        snprintf (path, sizeof path, "estates/%s/name", estate->id);
        estate->name = s_value (self, path, NULL);
        snprintf (path, sizeof path, "estates/%s/utc_offset", estate->id);
        kf_utc_offset_parse (s_value (self, path, NULL), &estate->utc_offset_min, NULL);
        snprintf (path, sizeof path, "estates/%s/calendar", estate->id);
        estate->calendar_name = s_value (self, path, NULL);
        self->calendars [i] = s_build_calendar (self, estate->calendar_name, estate->utc_offset_min, self->origin, err);
        if (!self->calendars [i])
            return kf_err_prefix (err, "estate %s: ", estate->id);
        estate->calendar = self->calendars [i];
        snprintf (path, sizeof path, "estates/%s/intake", estate->id);
        estate->intake = s_value (self, path, NULL);
        if (!estate->intake) {
            if (asprintf (&self->intakes [i], "intake@%s", s_value (self, "cluster/name", NULL)) < 0) {
                self->intakes [i] = NULL;
                return kf_err_set (err, "out of memory");
            }
            estate->intake = self->intakes [i];
        }
    }
    return 0;
}

//  zconfig (czmq 4.2) reports a syntax error only by printing it to stdout
//  with zclock_log: "... E (zconfig): (3) indent 4 spaces at once". Catch
//  stdout around the load, so the caller gets "kefu.conf line 3: indent 4
//  spaces at once" and stdout stays clean. Configuration is loaded at start,
//  before any other thread could write to stdout.
static zconfig_t *
s_zconfig_load (const char *path, const char *text, const char *origin, kf_err_t *err)
{
    fflush (stdout);
    FILE *capture = tmpfile ();
    int saved = capture ? dup (STDOUT_FILENO) : -1;
    if (saved >= 0)
        dup2 (fileno (capture), STDOUT_FILENO);
    zconfig_t *root = text ? zconfig_str_load (text) : zconfig_load (path);
    char captured [512] = "";
    if (saved >= 0) {
        fflush (stdout);
        dup2 (saved, STDOUT_FILENO);
        close (saved);
        rewind (capture);
        size_t n = fread (captured, 1, sizeof captured - 1, capture);
        captured [n] = 0;
    }
    if (capture)
        fclose (capture);
    if (!root) {
        const char *reason = strstr (captured, "(zconfig): ");
        int line = 0;
        char what [160] = "not valid ZPL";
        if (reason && sscanf (reason, "(zconfig): (%d) %159[^\n]", &line, what) >= 1 && line > 0)
            kf_err_set (err, "%s line %d: %s", origin, line, what);
        else
            kf_err_set (err, "%s: %s", origin, what);
    }
    return root;
}

static kf_config_t *
s_load (const char *path, const char *text, const char *origin, kf_err_t *err)
{
    if (!text) {
        FILE *probe = fopen (path, "r");
        if (!probe) {
            kf_err_set (err, "cannot read configuration %s: %s", path, strerror (errno));
            return NULL;
        }
        fclose (probe);
    }
    kf_config_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->origin = strdup (origin);
    self->root = s_zconfig_load (path, text, origin, err);
    int rc = self->origin && self->root ? 0 : -1;
    if (rc == 0)
        rc = s_check_tree (self->root, "", origin, err);
    for (size_t i = 0; rc == 0 && i < kf_config_schema_size; i++)
        if (kf_config_schema [i].required)
            rc = s_check_required (self->root, kf_config_schema [i].path, "", origin, err);
    //  Build every calendar once, used or not, so that a contradiction in
    //  one is found now rather than when an estate first points at it.
    zconfig_t *calendars = rc == 0 ? zconfig_locate (self->root, "calendars") : NULL;
    for (zconfig_t *c = calendars ? zconfig_child (calendars) : NULL; rc == 0 && c; c = zconfig_next (c)) {
        kf_calendar_t *calendar = s_build_calendar (self, zconfig_name (c), 0, origin, err);
        rc = calendar ? 0 : -1;
        kf_calendar_destroy (&calendar);
    }
    if (rc == 0)
        rc = s_build_estates (self, err);
    if (rc)
        kf_config_destroy (&self);
    return self;
}

kf_config_t *
kf_config_load (const char *path, kf_err_t *err)
{
    assert (path);
    return s_load (path, NULL, path, err);
}

kf_config_t *
kf_config_load_text (const char *text, const char *origin, kf_err_t *err)
{
    assert (text);
    return s_load (NULL, text, origin ? origin : "configuration", err);
}

void
kf_config_destroy (kf_config_t **self_p)
{
    assert (self_p);
    kf_config_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->estate_count; i++) {
            if (self->calendars)
                kf_calendar_destroy (&self->calendars [i]);
            if (self->intakes)
                free (self->intakes [i]);
        }
        free (self->calendars);
        free (self->intakes);
        free (self->estates);
        zhashx_destroy (&self->estate_ids);
        zconfig_destroy (&self->root);
        free (self->origin);
        free (self);
        *self_p = NULL;
    }
}

size_t
kf_config_estate_count (const kf_config_t *self)
{
    assert (self);
    return self->estate_count;
}

const kf_estate_t *
kf_config_estate (const kf_config_t *self, size_t index)
{
    assert (self && index < self->estate_count);
    return &self->estates [index];
}

const kf_estate_t *
kf_config_estate_find (const kf_config_t *self, const char *id)
{
    int index = kf_config_estate_index (self, id);
    return index >= 0 ? &self->estates [index] : NULL;
}

int
kf_config_estate_index (const kf_config_t *self, const char *id)
{
    assert (self);
    uintptr_t found = id && self->estate_ids ? (uintptr_t) zhashx_lookup (self->estate_ids, id) : 0;
    return (int) found - 1;
}

const char *
kf_config_str (const kf_config_t *self, const char *path)
{
    assert (self && path);
    return s_value (self, path, NULL);
}

bool
kf_ticket_no_estate (const char *ticket_no, char *estate, size_t size)
{
    assert (ticket_no && estate && size > 0);
    estate [0] = 0;
    const char *last = strrchr (ticket_no, '-');
    if (!last || last == ticket_no)
        return false;
    const char *date = last - 1;
    while (date > ticket_no && *date != '-')
        date--;
    if (date == ticket_no || (size_t) (date - ticket_no) >= size)
        return false;
    snprintf (estate, size, "%.*s", (int) (date - ticket_no), ticket_no);
    return true;
}

const char *
kf_config_default_path (void)
{
    const char *env = getenv ("KEFU_CONFIG");
    if (env && *env)
        return env;
    return access ("var/kefu.conf", F_OK) == 0 ? "var/kefu.conf" : "deploy/kefu.conf";
}

int
kf_config_each (const kf_config_t *self, const char *path, kf_name_fn *fn, void *arg)
{
    assert (self && path && fn);
    zconfig_t *section = zconfig_locate (self->root, path);
    for (zconfig_t *child = section ? zconfig_child (section) : NULL; child; child = zconfig_next (child)) {
        int rc = fn (zconfig_name (child), arg);
        if (rc)
            return rc < 0 ? -1 : 0;
    }
    return 0;
}

int
kf_config_enum (const kf_config_t *self, const char *path)
{
    const kf_config_key_t *key;
    const char *value = s_value (self, path, &key);
    assert (key->type == T_DEPARTMENT || key->type == T_ROLE);
    int number = 0;
    if (value)
        kf_enum_parse (key->type == T_ROLE ? &kf__role__descriptor : &kf__department__descriptor, value, &number);
    return number;
}

int64_t
kf_config_int (const kf_config_t *self, const char *path)
{
    const kf_config_key_t *key;
    const char *value = s_value (self, path, &key);
    assert (key->type == T_INT);
    return value ? strtoll (value, NULL, 10) : 0;
}

int64_t
kf_config_duration_ms (const kf_config_t *self, const char *path)
{
    const kf_config_key_t *key;
    const char *value = s_value (self, path, &key);
    assert (key->type == T_DURATION);
    int64_t ms = 0;
    if (value)
        kf_duration_parse (value, &ms, NULL);
    return ms;
}

bool
kf_config_bool (const kf_config_t *self, const char *path)
{
    const kf_config_key_t *key;
    const char *value = s_value (self, path, &key);
    assert (key->type == T_BOOL);
    return value && strcmp (value, "true") == 0;
}

bool
kf_config_has (const kf_config_t *self, const char *path)
{
    assert (self && path);
    zconfig_t *node = zconfig_locate (self->root, path);
    return node != NULL;
}

