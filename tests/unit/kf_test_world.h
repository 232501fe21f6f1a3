/*  kf_test_world — the world a domain test drives one service in: the
    configuration, a real store with the service's tables in the test's
    scratch directory, the outbox the service publishes through, an arena
    for replies, and what one stream of it published. A test embeds it as
    `base` next to its service and its own fixtures.  */
#ifndef KF_TEST_WORLD_H_INCLUDED
#define KF_TEST_WORLD_H_INCLUDED

#include "kf_commands.h"
#include "kf_config.h"
#include "kf_test.h"
#include "kf_test_events.h"

typedef struct {
    kf_config_t *config;
    kf_store_t *store;
    kf_outbox_t *outbox;
    kf_arena_t *arena;
    kf_test_events_t events;       //  what `stream` published
} kf_test_world_t;

//  The store (tables NULL-terminated, KF_BUS_TABLES among them), the
//  producer's outbox and (once) the arena; events read `stream`, described
//  by `describe` (NULL: by kind). Fails the test when one cannot be made.
//  After kf_test_world_close_store it opens the same store again, as a
//  restarted daemon does.
static inline void
kf_test_world_open (kf_test_world_t *self, const char *const *tables, const char *producer, const char *stream,
                    kf_test_describe_fn *describe)
{
    char path [128];
    snprintf (path, sizeof path, "%s/store", kf_test_dir);
    self->store = kf_store_new (path, tables, NULL, NULL);
    assert_non_null (self->store);
    self->outbox = kf_outbox_new (self->store, producer, NULL);
    assert_non_null (self->outbox);
    if (!self->arena)
        self->arena = kf_arena_new ();
    assert_non_null (self->arena);
    self->events = (kf_test_events_t) {
        .store = self->store, .outbox = self->outbox, .stream = stream, .describe = describe
    };
}

//  The configuration from text; fails the test with the loader's reason.
static inline kf_config_t *
kf_test_world_config (kf_test_world_t *self, const char *text)
{
    kf_err_t err;
    kf_config_destroy (&self->config);
    self->config = kf_config_load_text (text, "test", &err);
    if (!self->config)
        fail_msg ("%s", err.text);
    return self->config;
}

//  The outbox and the store, as a daemon stopping (the service first).
static inline void
kf_test_world_close_store (kf_test_world_t *self)
{
    kf_outbox_destroy (&self->outbox);
    kf_store_destroy (&self->store);
}

//  Everything kf_test_world_open and _config made (the service first).
static inline void
kf_test_world_close (kf_test_world_t *self)
{
    kf_test_world_close_store (self);
    kf_config_destroy (&self->config);
    kf_arena_destroy (&self->arena);
}

//  A reply as kf_commands hands it to a service: OK until it says not.
static inline void
kf_test_reply_ok (Kf__Reply *reply)
{
    kf__reply__init (reply);
    reply->status = KF__REPLY_STATUS__REPLY_STATUS_OK;
}

#endif
