/*  kf_log — levelled logging to stderr, and the one-line error that every
    fallible call of libkefu fills in.

    Lines carry the daemon's name. A line is never split by what it prints:
    control characters in it are escaped (\n, \t, \x1b). Under systemd (JOURNAL_STREAM set) each line
    starts with a syslog priority "<N>" so journald records the level; on a
    terminal it starts with an ISO time and a level letter instead.
*/
#ifndef KF_LOG_H_INCLUDED
#define KF_LOG_H_INCLUDED

#include <stdarg.h>
#include <stdbool.h>

typedef enum {
    KF_LOG_ERROR = 3,   //  syslog priorities, so journald understands them
    KF_LOG_WARNING = 4,
    KF_LOG_NOTICE = 5,
    KF_LOG_INFO = 6,
    KF_LOG_DEBUG = 7
} kf_log_level_t;

//  Name the process and set the threshold; the KEFU_LOG environment variable
//  ("debug", "info", "notice", "warning", "error") overrides the level.
void kf_log_init (const char *name, kf_log_level_t level);

//  Parse a level name; returns 0, or -1 when the name is unknown.
int kf_log_level_parse (const char *text, kf_log_level_t *level);

bool kf_log_enabled (kf_log_level_t level);

void kf_log (kf_log_level_t level, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));
void kf_log_v (kf_log_level_t level, const char *format, va_list args)
    __attribute__ ((format (printf, 2, 0)));

#define kf_error(...)   kf_log (KF_LOG_ERROR, __VA_ARGS__)
#define kf_warning(...) kf_log (KF_LOG_WARNING, __VA_ARGS__)
#define kf_notice(...)  kf_log (KF_LOG_NOTICE, __VA_ARGS__)
#define kf_info(...)    kf_log (KF_LOG_INFO, __VA_ARGS__)
#define kf_debug(...)   kf_log (KF_LOG_DEBUG, __VA_ARGS__)

//  A one-line reason for a failure, filled in by the call that failed and
//  shown to a person as it is. Callers may pass NULL when they do not care.
typedef struct {
    char text [256];
} kf_err_t;

//  Set the reason (printf-style) and return -1, so that a failing path reads
//  `return kf_err_set (err, "unknown estate '%s'", id);`. Newlines in the
//  result are replaced by spaces: the reason is always one line.
int kf_err_set (kf_err_t *err, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));
//  The same with a va_list, for functions that take a format of their own.
int kf_err_setv (kf_err_t *err, const char *format, va_list args)
    __attribute__ ((format (printf, 2, 0)));

//  Prefix an existing reason with context: "config line 12: " + reason.
int kf_err_prefix (kf_err_t *err, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

#endif
