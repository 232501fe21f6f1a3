/*  kf_log — levelled logging to stderr and one-line errors.  */
#include "kf_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char s_name [64] = "kefu";
static kf_log_level_t s_level = KF_LOG_INFO;
static bool s_journal = false;

static const struct { const char *name; kf_log_level_t level; char letter; } s_levels [] = {
    { "error", KF_LOG_ERROR, 'E' },
    { "warning", KF_LOG_WARNING, 'W' },
    { "notice", KF_LOG_NOTICE, 'N' },
    { "info", KF_LOG_INFO, 'I' },
    { "debug", KF_LOG_DEBUG, 'D' },
};

int
kf_log_level_parse (const char *text, kf_log_level_t *level)
{
    for (size_t i = 0; i < sizeof s_levels / sizeof s_levels [0]; i++)
        if (text && strcasecmp (text, s_levels [i].name) == 0) {
            *level = s_levels [i].level;
            return 0;
        }
    return -1;
}

void
kf_log_init (const char *name, kf_log_level_t level)
{
    snprintf (s_name, sizeof s_name, "%s", name ? name : "kefu");
    s_level = level;
    const char *env = getenv ("KEFU_LOG");
    if (env && *env && kf_log_level_parse (env, &s_level) != 0)
        fprintf (stderr, "%s: ignoring KEFU_LOG='%s' (expected debug, info, notice, warning or error)\n",
                 s_name, env);
    s_journal = getenv ("JOURNAL_STREAM") != NULL;
}

bool
kf_log_enabled (kf_log_level_t level)
{
    return level <= s_level;
}

//  A log line is one line whatever the values it prints hold: a name with
//  a newline, a terminal escape. Control characters are written as \n, \r,
//  \t or \xNN. Copies text into out (at most size - 1 bytes, cut where
//  the next one does not fit) and returns the length written.
static size_t
s_escape (const char *text, char *out, size_t size)
{
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *) text; *c; c++) {
        char esc [8];
        if (c [0] == 0xc2 && c [1] >= 0x80 && c [1] <= 0x9f) {
            //  C1 controls (U+0080..U+009F; U+009B starts a terminal's CSI).
            snprintf (esc, sizeof esc, "\\u%04x", c [1]);
            c++;
        }
        else
        if (*c >= 0x20 && *c != 0x7f) {
            esc [0] = (char) *c;
            esc [1] = 0;
        }
        else
        if (*c == '\n' || *c == '\r' || *c == '\t')
            snprintf (esc, sizeof esc, "\\%c", *c == '\n' ? 'n' : *c == '\r' ? 'r' : 't');
        else
            snprintf (esc, sizeof esc, "\\x%02x", *c);
        size_t len = strlen (esc);
        if (n + len >= size)
            break;
        memcpy (out + n, esc, len);
        n += len;
    }
    return n;
}

void
kf_log_v (kf_log_level_t level, const char *format, va_list args)
{
    if (!kf_log_enabled (level))
        return;
    //  Format the whole line first so that concurrent writers never interleave
    //  within a line: one write(2) per line.
    char line [2048];
    int n;
    if (s_journal)
        n = snprintf (line, sizeof line, "<%d>%s: ", (int) level, s_name);
    else {
        struct timeval tv;
        gettimeofday (&tv, NULL);
        struct tm tm;
        gmtime_r (&tv.tv_sec, &tm);
        char letter = '?';
        for (size_t i = 0; i < sizeof s_levels / sizeof s_levels [0]; i++)
            if (s_levels [i].level == level)
                letter = s_levels [i].letter;
        n = snprintf (line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s %c: ",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                      tm.tm_min, tm.tm_sec, (int) (tv.tv_usec / 1000), s_name, letter);
    }
    if (n < 0 || (size_t) n >= sizeof line)
        n = 0;
    char text [sizeof line];
    if (vsnprintf (text, sizeof text, format, args) < 0)
        text [0] = 0;
    size_t len = s_escape (text, line + n, sizeof line - (size_t) n - 1) + (size_t) n;
    line [len++] = '\n';
    ssize_t rc = write (STDERR_FILENO, line, len);
    (void) rc;
}

void
kf_log (kf_log_level_t level, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    kf_log_v (level, format, args);
    va_end (args);
}

static void
s_one_line (char *text)
{
    for (; *text; text++)
        if (*text == '\n' || *text == '\r')
            *text = ' ';
}

int
kf_err_setv (kf_err_t *err, const char *format, va_list args)
{
    if (err) {
        vsnprintf (err->text, sizeof err->text, format, args);
        s_one_line (err->text);
    }
    return -1;
}

int
kf_err_set (kf_err_t *err, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    kf_err_setv (err, format, args);
    va_end (args);
    return -1;
}

int
kf_err_prefix (kf_err_t *err, const char *format, ...)
{
    if (err) {
        char prefix [sizeof err->text];
        va_list args;
        va_start (args, format);
        vsnprintf (prefix, sizeof prefix, format, args);
        va_end (args);
        //  Shift the reason right and put the prefix in front; the end of
        //  a long reason is what gives way.
        size_t plen = strlen (prefix), cap = sizeof err->text - 1;
        size_t keep = strnlen (err->text, cap);
        if (plen > cap)
            plen = cap;
        if (keep > cap - plen)
            keep = cap - plen;
        memmove (err->text + plen, err->text, keep);
        memcpy (err->text, prefix, plen);
        err->text [plen + keep] = 0;
        s_one_line (err->text);
    }
    return -1;
}
