/*  kf_page — paged lists over an index. See kf_page.h.  */
#include "kf_page.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int
s_token_decode (const char *token, kf_key_t *key)
{
    size_t n = strlen (token);
    if (n == 0 || n % 2 || n / 2 > KF_KEY_MAX)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned byte;
        if (!isxdigit ((unsigned char) token [2 * i]) || !isxdigit ((unsigned char) token [2 * i + 1])
        ||  sscanf (token + 2 * i, "%2x", &byte) != 1)
            return -1;
        key->data [i] = (uint8_t) byte;
    }
    key->size = n / 2;
    return 0;
}

static char *
s_token_encode (const uint8_t *data, size_t size, kf_arena_t *arena)
{
    char *token = kf_arena_alloc (arena, size * 2 + 1);
    if (token) {
        for (size_t i = 0; i < size; i++)
            sprintf (token + 2 * i, "%02x", data [i]);
        token [size * 2] = 0;
    }
    return token;
}

//  Whether a token's key can be a row this walk showed: within its
//  prefix and below its top. A token made up, or of another list (another
//  estate's), is refused rather than taken for a place to start from:
//  past the end it would show page 1 again as if it were the next.
static bool
s_token_in_range (const kf_key_t *after, const kf_key_t *prefix, const kf_key_t *top)
{
    if (prefix && prefix->size && !kf_key_has_prefix ((kf_val_t) { after->data, after->size }, prefix))
        return false;
    size_t n = after->size < top->size ? after->size : top->size;
    int cmp = memcmp (after->data, top->data, n);
    return cmp < 0 || (cmp == 0 && after->size < top->size) || top->size == 0;
}

uint32_t
kf_page_size (const Kf__PageRequest *page, uint32_t fallback, uint32_t max)
{
    uint32_t size = page && page->page_size ? page->page_size : fallback;
    return size > max ? max : size ? size : 1;
}

//  The walk, counting every match for total (`count`), or stopping at the
//  first match past the page: then a token's page starts at its row, not
//  after a walk down to it, and the caller says the total.
static int
s_walk (kf_txn_t *txn, kf_table_t index, const kf_key_t *prefix, const kf_key_t *top, const Kf__PageRequest *page,
        uint32_t page_size, kf_page_row_fn *fn, void *arg, kf_arena_t *arena, kf_page_t *result, bool count)
{
    assert (txn && top && fn && arena && result);
    memset (result, 0, sizeof *result);
    kf_key_t after = { 0 };
    if (page && page->page_token && *page->page_token
    &&  (s_token_decode (page->page_token, &after) || !s_token_in_range (&after, prefix, top)))
        return KF_PAGE_BAD_TOKEN;
    kf_cursor_t *cursor = kf_cursor_open (txn, index);
    kf_val_t k, v;
    const kf_key_t *from = !count && after.size ? &after : top;
    int rc = cursor ? kf_cursor_seek (cursor, from, &k, &v) : -1;
    rc = rc == KF_FOUND ? kf_cursor_prev (cursor, &k, &v) : rc == KF_NOTFOUND ? kf_cursor_last (cursor, &k, &v) : rc;
    bool paging = count && after.size > 0, more = false;
    uint8_t last [KF_KEY_MAX];
    size_t last_size = 0;
    for (; rc == KF_FOUND; rc = kf_cursor_prev (cursor, &k, &v)) {
        if (prefix && prefix->size && !kf_key_has_prefix (k, prefix))
            break;
        //  Rows down to the token's were on earlier pages: counted, not shown.
        bool shown_before = false;
        if (paging) {
            size_t n = k.size < after.size ? k.size : after.size;
            int cmp = memcmp (k.data, after.data, n);
            shown_before = cmp > 0 || (cmp == 0 && k.size >= after.size);
            paging = shown_before;
        }
        bool show = !shown_before && result->shown < page_size;
        int match = fn (txn, k, v, show, arg);
        if (match < 0 || match == 2) {
            rc = match < 0 ? -1 : KF_NOTFOUND;
            break;
        }
        if (match == 0)
            continue;
        result->total++;
        if (show) {
            result->shown++;
            memcpy (last, k.data, k.size);
            last_size = k.size;
        }
        else
        if (!shown_before) {
            more = true;
            if (!count)
                break;
        }
    }
    kf_cursor_close (&cursor);
    if (rc == -1 || !kf_txn_ok (txn))
        return -1;
    if (more)
        result->next_token = s_token_encode (last, last_size, arena);
    return 0;
}

int
kf_page_walk (kf_txn_t *txn, kf_table_t index, const kf_key_t *prefix, const kf_key_t *top,
              const Kf__PageRequest *page, uint32_t page_size, kf_page_row_fn *fn, void *arg,
              kf_arena_t *arena, kf_page_t *result)
{
    return s_walk (txn, index, prefix, top, page, page_size, fn, arg, arena, result, true);
}

int
kf_page_walk_page (kf_txn_t *txn, kf_table_t index, const kf_key_t *prefix, const kf_key_t *top,
                   const Kf__PageRequest *page, uint32_t page_size, kf_page_row_fn *fn, void *arg,
                   kf_arena_t *arena, kf_page_t *result)
{
    return s_walk (txn, index, prefix, top, page, page_size, fn, arg, arena, result, false);
}

int
kf_page_forward (kf_txn_t *txn, kf_table_t index, const kf_key_t *prefix, const kf_key_t *from,
                 const Kf__PageRequest *page, uint32_t page_size, kf_page_row_fn *fn, void *arg,
                 kf_arena_t *arena, kf_page_t *result)
{
    assert (txn && prefix && from && fn && arena && result);
    memset (result, 0, sizeof *result);
    kf_key_t after = { 0 };
    if (page && page->page_token && *page->page_token
    &&  (s_token_decode (page->page_token, &after) || !kf_key_has_prefix ((kf_val_t) { after.data, after.size }, prefix)))
        return KF_PAGE_BAD_TOKEN;
    //  From the token's row (skipped: the last page showed it), else from `from`.
    const kf_key_t *start = from;
    if (after.size) {
        int cmp = memcmp (after.data, from->data, after.size < from->size ? after.size : from->size);
        if (cmp > 0 || (cmp == 0 && after.size >= from->size))
            start = &after;
    }
    kf_cursor_t *cursor = kf_cursor_open (txn, index);
    kf_val_t k, v;
    int rc = cursor ? kf_cursor_seek (cursor, start, &k, &v) : -1;
    uint8_t last [KF_KEY_MAX];
    size_t last_size = 0;
    for (; rc == KF_FOUND; rc = kf_cursor_next (cursor, &k, &v)) {
        if (!kf_key_has_prefix (k, prefix))
            break;
        if (start == &after && k.size == after.size && memcmp (k.data, after.data, k.size) == 0)
            continue;
        bool show = result->shown < page_size;
        int match = fn (txn, k, v, show, arg);
        if (match < 0 || match == 2) {
            rc = match < 0 ? -1 : KF_NOTFOUND;
            break;
        }
        if (match == 0)
            continue;
        if (!show) {
            result->next_token = s_token_encode (last, last_size, arena);
            break;
        }
        result->shown++;
        result->total++;
        memcpy (last, k.data, k.size);
        last_size = k.size;
    }
    kf_cursor_close (&cursor);
    return rc == -1 || !kf_txn_ok (txn) ? -1 : 0;
}
