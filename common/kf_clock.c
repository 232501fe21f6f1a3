/*  kf_clock — real and file-driven clocks.  */
#include "kf_clock.h"
#include "kf_time.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct _kf_clock_t {
    char *path;              //  NULL for the real clock
    int64_t last_ms;         //  last good time read from the file
    struct stat seen;        //  the file as it was when last read
    bool warned;             //  one warning per bad spell, not one per call
};

int
kf_clock_time_parse (const char *text, int64_t *utc_ms, kf_err_t *err)
{
    char buf [64];
    size_t n = strlen (text);
    while (n > 0 && isspace ((unsigned char) text [n - 1]))
        n--;
    if (n == 0 || n >= sizeof buf)
        return kf_err_set (err, "no time");
    memcpy (buf, text, n);
    buf [n] = 0;
    const char *p = buf + (buf [0] == '-');
    bool digits = *p != 0;
    for (; *p; p++)
        digits = digits && isdigit ((unsigned char) *p);
    if (digits) {
        errno = 0;
        long long v = strtoll (buf, NULL, 10);
        if (errno)
            return kf_err_set (err, "time '%s' is out of range", buf);
        *utc_ms = v;
        return 0;
    }
    return kf_time_parse (buf, 0, utc_ms, err);
}

int
kf_clock_file_read (const char *path, int64_t *utc_ms, kf_err_t *err)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return kf_err_set (err, "cannot read clock file %s: %s", path, strerror (errno));
    char text [128];
    size_t n = fread (text, 1, sizeof text - 1, file);
    fclose (file);
    text [n] = 0;
    if (kf_clock_time_parse (text, utc_ms, err))
        return kf_err_prefix (err, "%s: ", path);
    return 0;
}

int
kf_clock_file_write (const char *path, int64_t utc_ms, kf_err_t *err)
{
    char tmp [4096];
    if (snprintf (tmp, sizeof tmp, "%s.tmp.%ld", path, (long) getpid ()) >= (int) sizeof tmp)
        return kf_err_set (err, "clock file path too long");
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return kf_err_set (err, "cannot write clock file %s: %s", tmp, strerror (errno));
    char text [32];
    int len = snprintf (text, sizeof text, "%lld\n", (long long) utc_ms);
    bool ok = write (fd, text, (size_t) len) == len && fsync (fd) == 0;
    int saved = errno;
    close (fd);
    if (!ok || rename (tmp, path) != 0) {
        if (ok)
            saved = errno;
        unlink (tmp);
        return kf_err_set (err, "cannot write clock file %s: %s", path, strerror (saved));
    }
    return 0;
}

int
kf_clock_file_advance (const char *path, int64_t delta_ms, int64_t *utc_ms, kf_err_t *err)
{
    char lock_path [4096];
    if (snprintf (lock_path, sizeof lock_path, "%s.lock", path) >= (int) sizeof lock_path)
        return kf_err_set (err, "clock file path too long");
    int lock = open (lock_path, O_RDWR | O_CREAT, 0644);
    if (lock < 0)
        return kf_err_set (err, "cannot lock clock file %s: %s", lock_path, strerror (errno));
    int rc = -1;
    int64_t now;
    if (flock (lock, LOCK_EX) != 0)
        kf_err_set (err, "cannot lock clock file %s: %s", lock_path, strerror (errno));
    else
    if (kf_clock_file_read (path, &now, err) == 0) {
        if ((delta_ms > 0 && now > INT64_MAX - delta_ms) || (delta_ms < 0 && now < INT64_MIN - delta_ms))
            kf_err_set (err, "advancing the clock by that much overflows");
        else
        if (kf_clock_file_write (path, now + delta_ms, err) == 0) {
            if (utc_ms)
                *utc_ms = now + delta_ms;
            rc = 0;
        }
    }
    close (lock);   //  releases the lock
    return rc;
}

kf_clock_t *
kf_clock_new (const char *path, kf_err_t *err)
{
    kf_clock_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    if (path) {
        self->path = strdup (path);
        if (!self->path
        ||  stat (path, &self->seen) != 0
        ||  kf_clock_file_read (path, &self->last_ms, err) != 0) {
            if (self->path && errno == ENOENT)
                kf_err_set (err, "clock file %s does not exist (write a time into it first)", path);
            else
            if (!self->path)
                kf_err_set (err, "out of memory");
            kf_clock_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
kf_clock_destroy (kf_clock_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->path);
        free (*self_p);
        *self_p = NULL;
    }
}

static bool
s_same_file (const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size
        && a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int64_t
kf_clock_now (kf_clock_t *self)
{
    assert (self);
    if (!self->path) {
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    struct stat st;
    kf_err_t err;
    int64_t now;
    if (stat (self->path, &st) != 0)
        kf_err_set (&err, "cannot read clock file %s: %s", self->path, strerror (errno));
    else
    if (s_same_file (&st, &self->seen))
        return self->last_ms;
    else
    if (kf_clock_file_read (self->path, &now, &err) == 0) {
        self->last_ms = now;
        self->seen = st;
        self->warned = false;
    }
    else
    if (!self->warned) {
        kf_warning ("clock: %s; keeping the last good time", err.text);
        self->warned = true;
    }
    return self->last_ms;
}

bool
kf_clock_is_file (kf_clock_t *self)
{
    assert (self);
    return self->path != NULL;
}

const char *
kf_clock_path (kf_clock_t *self)
{
    assert (self);
    return self->path;
}
