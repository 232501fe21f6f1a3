/*  kf_checks — a plan's checkpoints in their text form, parsed and checked
    in one place for the configuration and kefuctl. See kf_checks.h.
*/
#include "kf_checks.h"
#include "kf_field.h"
#include "kf_log.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TEXT_MAX 4000

//  The text between two pointers, blanks trimmed, copied into the arena.
static char *
s_trimmed (kf_arena_t *arena, const char *from, const char *to)
{
    while (from < to && isspace ((unsigned char) *from))
        from++;
    while (to > from && isspace ((unsigned char) to [-1]))
        to--;
    char *text = kf_arena_alloc (arena, (size_t) (to - from) + 1);
    if (text)
        memcpy (text, from, (size_t) (to - from));
    return text;
}

int
kf_milli_parse (const char *text, int64_t *milli)
{
    assert (text && milli);
    const char *c = text;
    bool negative = *c == '-';
    if (*c == '-' || *c == '+')
        c++;
    if (!isdigit ((unsigned char) *c))
        return -1;
    int64_t value = 0;
    for (; isdigit ((unsigned char) *c); c++) {
        value = value * 10 + (*c - '0');
        if (value > KF_READING_MAX / 1000)
            return -1;
    }
    value *= 1000;
    if (*c == '.') {
        c++;
        int64_t scale = 100;
        if (!isdigit ((unsigned char) *c))
            return -1;
        for (; isdigit ((unsigned char) *c); c++, scale /= 10) {
            if (scale == 0)
                return -1;   //  more than three places
            value += (*c - '0') * scale;
        }
    }
    if (*c)
        return -1;
    *milli = negative ? -value : value;
    return 0;
}

const char *
kf_milli_format (int64_t milli, char *buf, size_t size)
{
    assert (buf && size);
    uint64_t magnitude = milli < 0 ? (uint64_t) 0 - (uint64_t) milli : (uint64_t) milli;
    char places [8] = "";
    if (magnitude % 1000) {
        snprintf (places, sizeof places, ".%03u", (unsigned) (magnitude % 1000));
        for (size_t n = strlen (places); places [n - 1] == '0'; n--)
            places [n - 1] = 0;
    }
    snprintf (buf, size, "%s%" PRIu64 "%s", milli < 0 ? "-" : "", magnitude / 1000, places);
    return buf;
}

//  "(MPa 0.30..1.20)", "(MPa)", "(0..100)": a reading's unit and range.
static int
s_reading_bounds (const char *text, Kf__CheckItem *item, kf_arena_t *arena, kf_err_t *err)
{
    char copy [200];
    if (strlen (text) >= sizeof copy)
        return kf_err_set (err, "its parenthesis is too long");
    snprintf (copy, sizeof copy, "%s", text);
    char *save = NULL;
    for (char *word = strtok_r (copy, " \t", &save); word; word = strtok_r (NULL, " \t", &save)) {
        char *dots = strstr (word, "..");
        if (dots) {
            *dots = 0;
            int64_t low, high;
            if (item->has_range || kf_milli_parse (word, &low) || kf_milli_parse (dots + 2, &high))
                return kf_err_set (err, "'%s..%s' is not a range such as 0.30..1.20 (at most three decimals)",
                                   word, dots + 2);
            if (low > high)
                return kf_err_set (err, "its range %s..%s runs backwards", word, dots + 2);
            KF_SET (item, min_milli, low);
            KF_SET (item, max_milli, high);
            KF_SET (item, has_range, 1);
        }
        else
        if (item->unit)
            return kf_err_set (err, "'%s': one unit, then a range such as 0.30..1.20", word);
        else
        if (kf_text_check ("its unit", word, 16, err))
            return -1;
        else
            item->unit = kf_arena_strdup (arena, word);
    }
    return 0;
}

static const struct {
    const char *name;
    Kf__CheckKind kind;
} s_kinds [] = {
    { "yes_no", KF__CHECK_KIND__CHECK_KIND_YES_NO },
    { "reading", KF__CHECK_KIND__CHECK_KIND_READING },
    { "photo", KF__CHECK_KIND__CHECK_KIND_PHOTO },
};

static int
s_item_parse (const char *from, const char *to, Kf__CheckItem *item, kf_arena_t *arena, kf_err_t *err)
{
    char *text = s_trimmed (arena, from, to);
    if (!text)
        return kf_err_set (err, "out of memory");
    char *colon = strchr (text, ':');
    if (!colon)
        return kf_err_set (err, "'%s' says no kind: yes_no: WHAT, reading: WHAT (UNIT MIN..MAX) or photo: WHAT", text);
    *colon = 0;
    char *kind = s_trimmed (arena, text, colon);
    for (size_t k = 0; kind && k < sizeof s_kinds / sizeof *s_kinds; k++)
        if (strcmp (kind, s_kinds [k].name) == 0)
            KF_SET (item, kind, s_kinds [k].kind);
    if (!item->has_kind)
        return kf_err_set (err, "'%s' is not a kind of check (yes_no, reading or photo)", kind ? kind : "");
    char *what = colon + 1, *end = what + strlen (what);
    char *open = strrchr (what, '(');
    if (open && item->kind == KF__CHECK_KIND__CHECK_KIND_READING) {
        char *close = strchr (open, ')');
        if (!close || close [strspn (close + 1, " \t") + 1])
            return kf_err_set (err, "its parenthesis is not closed at the end");
        char *bounds = s_trimmed (arena, open + 1, close);
        if (!bounds || s_reading_bounds (bounds, item, arena, err))
            return -1;
        end = open;
    }
    item->what = s_trimmed (arena, what, end);
    if (!item->what)
        return kf_err_set (err, "out of memory");
    if (kf_text_check ("what to check", item->what, KF_CHECK_WHAT_MAX, err))
        return -1;
    if (item->kind == KF__CHECK_KIND__CHECK_KIND_READING && strpbrk (item->what, "()"))
        return kf_err_set (err, "a reading's WHAT holds no parentheses: its (UNIT MIN..MAX) come last");
    return 0;
}

int
kf_check_items_parse (const char *text, Kf__Checkpoint *checkpoint, kf_arena_t *arena, kf_err_t *err)
{
    assert (checkpoint && arena);
    if (!text || strlen (text) > S_TEXT_MAX)
        return kf_err_set (err, "items are required (at most %d characters)", S_TEXT_MAX);
    checkpoint->n_items = 0;
    checkpoint->items = kf_arena_alloc (arena, KF_CHECK_ITEMS_MAX * sizeof *checkpoint->items);
    if (!checkpoint->items)
        return kf_err_set (err, "out of memory");
    for (const char *from = text; *from; ) {
        const char *to = strchr (from, ';');
        if (!to)
            to = from + strlen (from);
        bool blank = true;
        for (const char *c = from; c < to; c++)
            blank = blank && isspace ((unsigned char) *c);
        if (!blank) {
            if (checkpoint->n_items == KF_CHECK_ITEMS_MAX)
                return kf_err_set (err, "more than %d items", KF_CHECK_ITEMS_MAX);
            Kf__CheckItem *item = (Kf__CheckItem *) kf_arena_message (arena, &kf__check_item__descriptor);
            if (!item)
                return kf_err_set (err, "out of memory");
            kf_err_t why;
            if (s_item_parse (from, to, item, arena, &why))
                return kf_err_set (err, "item %zu: %s", checkpoint->n_items + 1, why.text);
            checkpoint->items [checkpoint->n_items++] = item;
        }
        from = *to ? to + 1 : to;
    }
    if (checkpoint->n_items == 0)
        return kf_err_set (err, "a checkpoint needs a check: yes_no: WHAT, reading: WHAT (UNIT MIN..MAX) or photo: WHAT");
    return 0;
}

int
kf_checkpoint_parse (const char *text, Kf__Checkpoint *checkpoint, kf_arena_t *arena, kf_err_t *err)
{
    assert (checkpoint && arena);
    const char *bars [3];
    const char *c = text ? text : "";
    for (int i = 0; i < 3; i++) {
        bars [i] = strchr (c, '|');
        if (!bars [i])
            return kf_err_set (err, "'%s' is not NAME | PLACE | AREA | ITEMS", text ? text : "");
        c = bars [i] + 1;
    }
    checkpoint->name = s_trimmed (arena, text, bars [0]);
    checkpoint->place = s_trimmed (arena, bars [0] + 1, bars [1]);
    checkpoint->area = s_trimmed (arena, bars [1] + 1, bars [2]);
    if (!checkpoint->name || !checkpoint->place || !checkpoint->area)
        return kf_err_set (err, "out of memory");
    if (!*checkpoint->place)
        checkpoint->place = NULL;
    if (!*checkpoint->area)
        checkpoint->area = NULL;
    if (kf_check_items_parse (bars [2] + 1, checkpoint, arena, err))
        return -1;
    return kf_checkpoint_check (checkpoint, err);
}

int
kf_checkpoint_check (const Kf__Checkpoint *cp, kf_err_t *err)
{
    assert (cp);
    kf_err_t why;
    if (kf_text_check ("its name", cp->name, KF_CHECKPOINT_NAME_MAX, &why))
        return kf_err_set (err, "checkpoint: %s", why.text);
    if (cp->place && kf_text_check ("its place", cp->place, KF_CHECKPOINT_PLACE_MAX, &why))
        return kf_err_set (err, "checkpoint %s: %s", cp->name, why.text);
    if (cp->area && !kf_unit_common (cp->area))
        return kf_err_set (err, "checkpoint %s: area '%s' is not a common area's unit code (0-..., e.g. 0-B1-PUMP)",
                           cp->name, cp->area);
    if (cp->n_items == 0)
        return kf_err_set (err, "checkpoint %s has no check: each needs a yes_no, reading or photo item", cp->name);
    if (cp->n_items > KF_CHECK_ITEMS_MAX)
        return kf_err_set (err, "checkpoint %s has more than %d items", cp->name, KF_CHECK_ITEMS_MAX);
    for (size_t i = 0; i < cp->n_items; i++) {
        const Kf__CheckItem *item = cp->items [i];
        if (!item || !kf_enum_known (&kf__check_kind__descriptor, item->has_kind, item->kind))
            return kf_err_set (err, "checkpoint %s, item %zu: a kind is required (yes_no, reading or photo)",
                               cp->name, i + 1);
        if (kf_text_check ("what to check", item->what, KF_CHECK_WHAT_MAX, &why))
            return kf_err_set (err, "checkpoint %s, item %zu: %s", cp->name, i + 1, why.text);
        if (strchr (item->what, ';') || (item->kind == KF__CHECK_KIND__CHECK_KIND_READING && strpbrk (item->what, "()")))
            return kf_err_set (err, "checkpoint %s, item %zu: what to check holds no ';' (and a reading's no "
                               "parentheses)", cp->name, i + 1);
        if (item->unit && (kf_text_check ("its unit", item->unit, 16, &why) || strpbrk (item->unit, " ();.")))
            return kf_err_set (err, "checkpoint %s, item %zu: its unit is one word (e.g. MPa)", cp->name, i + 1);
        if (item->has_range && (item->kind != KF__CHECK_KIND__CHECK_KIND_READING || item->min_milli > item->max_milli
                                || item->min_milli < -KF_READING_MAX || item->max_milli > KF_READING_MAX))
            return kf_err_set (err, "checkpoint %s, item %zu: a range belongs to a reading, low to high", cp->name,
                               i + 1);
    }
    return 0;
}

const char *
kf_check_items_format (const Kf__Checkpoint *cp, char *buf, size_t size)
{
    assert (cp && buf && size);
    size_t used = 0;
    buf [0] = 0;
    for (size_t i = 0; i < cp->n_items && used < size; i++) {
        const Kf__CheckItem *item = cp->items [i];
        const char *kind = item->kind == KF__CHECK_KIND__CHECK_KIND_READING ? "reading"
                         : item->kind == KF__CHECK_KIND__CHECK_KIND_PHOTO ? "photo" : "yes_no";
        char low [32], high [32], bounds [100] = "";
        if (item->kind == KF__CHECK_KIND__CHECK_KIND_READING && (item->unit || item->has_range))
            snprintf (bounds, sizeof bounds, " (%s%s%s%s%s)", item->unit ? item->unit : "",
                      item->unit && item->has_range ? " " : "",
                      item->has_range ? kf_milli_format (item->min_milli, low, sizeof low) : "",
                      item->has_range ? ".." : "",
                      item->has_range ? kf_milli_format (item->max_milli, high, sizeof high) : "");
        int n = snprintf (buf + used, size - used, "%s%s: %s%s", i ? "; " : "", kind, item->what ? item->what : "",
                          bounds);
        used += n > 0 ? (size_t) n : 0;
    }
    return buf;
}
