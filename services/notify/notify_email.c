/*  notify_email — a delivery as an email: RFC 5322 headers, the subject
    RFC 2047-encoded so that Chinese survives every relay, the UTF-8 body
    in base64, and Message-ID <id@kefu> so that the message names its
    delivery wherever it lands.
*/
#include "notify_channel.h"
#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  An address fit for a header and for RCPT TO: one '@', no spaces,
//  brackets or line ends.
static bool
s_address_ok (const char *address)
{
    if (!address || strlen (address) > 254)
        return false;
    const char *at = strchr (address, '@');
    return at && at != address && at [1] && !strchr (at + 1, '@') && !strpbrk (address, " \t\r\n<>,;\"()");
}

static void
s_base64 (const char *text, size_t size, char *out, size_t room)
{
    sodium_bin2base64 (out, room, (const unsigned char *) text, size, sodium_base64_VARIANT_ORIGINAL);
}

//  The subject as RFC 2047 encoded-words of at most 64 characters (39
//  bytes of text: 52 of base64 and 12 of frame), so that even the first,
//  after "Subject: ", keeps its line within 76; cut between whole UTF-8
//  characters (at most 3 bytes back: text that is not UTF-8 is cut where
//  it falls), folded onto lines of their own; malloc'd, NULL when out of
//  memory.
#define S_WORD_BYTES 39
#define S_WORD_MIN   (S_WORD_BYTES - 3)
#define S_WORD_ROOM  (sodium_base64_ENCODED_LEN (S_WORD_BYTES, sodium_base64_VARIANT_ORIGINAL) + 16)

static char *
s_subject (const char *subject)
{
    size_t size = strlen (subject);
    size_t room = (size / S_WORD_MIN + 2) * S_WORD_ROOM;
    char *out = malloc (room);
    if (!out)
        return NULL;
    size_t used = 0;
    out [0] = 0;
    for (size_t at = 0; at < size; ) {
        size_t n = size - at < S_WORD_BYTES ? size - at : S_WORD_BYTES;
        //  Back to a character's start, never a continuation byte first.
        for (int back = 0; back < 3 && at + n < size && ((unsigned char) subject [at + n] & 0xC0) == 0x80; back++)
            n--;
        char word [sodium_base64_ENCODED_LEN (S_WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
        s_base64 (subject + at, n, word, sizeof word);
        int wrote = snprintf (out + used, room - used, "%s=?UTF-8?B?%s?=", used ? "\r\n " : "", word);
        if (wrote < 0 || (size_t) wrote >= room - used) {
            free (out);
            return NULL;
        }
        used += (size_t) wrote;
        at += n;
    }
    return out;
}

char *
notify_email_message (const notify_email_config_t *config, const Kf__Delivery *delivery, int64_t wall_ms,
                      size_t *size, kf_err_t *err)
{
    assert (config && delivery && size);
    const char *to = delivery->recipient ? delivery->recipient->address : NULL;
    if (!s_address_ok (to)) {
        kf_err_set (err, "not an email address: '%s'", to ? to : "");
        return NULL;
    }
    const char *subject = delivery->subject && *delivery->subject ? delivery->subject : "kefu";
    const char *text = delivery->text ? delivery->text : "";
    size_t text_size = strlen (text);
    size_t text_room = sodium_base64_ENCODED_LEN (text_size, sodium_base64_VARIANT_ORIGINAL);
    char *subject64 = s_subject (subject);
    char *text64 = malloc (text_room);
    size_t room = 1024 + strlen (config->from) + strlen (to) + (subject64 ? strlen (subject64) : 0) + text_room
                + text_room / 76 * 2;
    char *message = malloc (room);
    if (!subject64 || !text64 || !message) {
        free (subject64), free (text64), free (message);
        kf_err_set (err, "out of memory");
        return NULL;
    }
    s_base64 (text, text_size, text64, text_room);
    time_t seconds = (time_t) (wall_ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    char date [64];
    strftime (date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    int n = snprintf (message, room,
                      "Date: %s\r\nFrom: kefu <%s>\r\nTo: <%s>\r\nSubject: %s\r\n"
                      "Message-ID: <%s@kefu>\r\nKefu-Delivery: %s\r\nMIME-Version: 1.0\r\n"
                      "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                      date, config->from, to, subject64, delivery->id, delivery->id);
    size_t used = (size_t) n;
    size_t length = strlen (text64);
    for (size_t at = 0; at < length; at += 76) {
        size_t line = length - at < 76 ? length - at : 76;
        memcpy (message + used, text64 + at, line);
        used += line;
        memcpy (message + used, "\r\n", 2);
        used += 2;
    }
    message [used] = 0;
    free (subject64);
    free (text64);
    *size = used;
    return message;
}
