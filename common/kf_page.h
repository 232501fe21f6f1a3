/*  kf_page — paged lists over an index, newest first.

    A list command walks an index table backwards from the end of its range
    and shows one page of the rows that match its filters, counting them all
    for `total`. The page token is the index key of the last row shown, in
    hex: the next page resumes after it, however the table changed since.
*/
#ifndef KF_PAGE_H_INCLUDED
#define KF_PAGE_H_INCLUDED

#include "kf_codec.h"
#include "kf_store.h"
#include "types.pb-c.h"

//  What kf_page_walk returns for a token this service did not give.
#define KF_PAGE_BAD_TOKEN (-2)

typedef struct {
    uint64_t total;        //  rows that matched
    uint32_t shown;        //  rows shown on this page
    char *next_token;      //  from the arena; NULL on the last page
} kf_page_t;

//  One row of the index. `show` says whether it goes on this page if it
//  matches. Return 1 when it matches the filters, 0 when not, 2 to stop (out
//  of range: nothing further matches), -1 to fail.
typedef int (kf_page_row_fn) (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg);

//  The page size a request asks for, within [1, max].
uint32_t kf_page_size (const Kf__PageRequest *page, uint32_t fallback, uint32_t max);

//  Walk `index` from the last key below `top` backwards while keys start
//  with `prefix` (NULL or empty: the whole table). Returns 0, -1 when the
//  transaction failed, or KF_PAGE_BAD_TOKEN.
int kf_page_walk (kf_txn_t *txn, kf_table_t index, const kf_key_t *prefix, const kf_key_t *top,
                  const Kf__PageRequest *page, uint32_t page_size, kf_page_row_fn *fn, void *arg,
                  kf_arena_t *arena, kf_page_t *result);

//  The same walk for one page alone: it starts at the page token's row
//  and stops at the first match past the page, so its cost is the page's,
//  whatever the list's length. result->total counts only what it saw: the
//  caller gives the total from counts it keeps (intake's tallies).
int kf_page_walk_page (kf_txn_t *txn, kf_table_t index, const kf_key_t *prefix, const kf_key_t *top,
                       const Kf__PageRequest *page, uint32_t page_size, kf_page_row_fn *fn, void *arg,
                       kf_arena_t *arena, kf_page_t *result);

//  Oldest first, for histories: walk `index` forwards from `from` (or
//  after the page token's row) while keys start with `prefix`, showing at
//  most page_size matching rows. Rows are not counted beyond the page:
//  total is what was shown, next_token says there are more. Returns 0, -1
//  when the transaction failed, or KF_PAGE_BAD_TOKEN.
int kf_page_forward (kf_txn_t *txn, kf_table_t index, const kf_key_t *prefix, const kf_key_t *from,
                     const Kf__PageRequest *page, uint32_t page_size, kf_page_row_fn *fn, void *arg,
                     kf_arena_t *arena, kf_page_t *result);

#endif
