/*  kf_net — binding and connecting endpoints.  */
#include "kf_net.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

//  mkdir -p of the directory that will hold an ipc socket file.
static int
s_prepare_ipc (const char *endpoint, kf_err_t *err)
{
    const char *path = endpoint + strlen ("ipc://");
    char dir [512];
    const char *slash = strrchr (path, '/');
    if (!slash)
        return 0;
    if ((size_t) (slash - path) >= sizeof dir)
        return kf_err_set (err, "%s: path too long", endpoint);
    snprintf (dir, sizeof dir, "%.*s", (int) (slash - path), path);
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir (dir, 0755) != 0 && errno != EEXIST)
                return kf_err_set (err, "cannot create %s for %s: %s", dir, endpoint, strerror (errno));
            *p = '/';
        }
    if (*dir && mkdir (dir, 0755) != 0 && errno != EEXIST)
        return kf_err_set (err, "cannot create %s for %s: %s", dir, endpoint, strerror (errno));
    return 0;
}

int
kf_net_bind (zsock_t *socket, const char *endpoint, kf_err_t *err)
{
    assert (socket && endpoint);
    if (strncmp (endpoint, "ipc://", 6) == 0 && s_prepare_ipc (endpoint, err))
        return -1;
    if (zsock_bind (socket, "%s", endpoint) < 0)
        return kf_err_set (err, "cannot bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
    return 0;
}

int
kf_net_connect (zsock_t *socket, const char *endpoint, kf_err_t *err)
{
    assert (socket && endpoint);
    if (zsock_connect (socket, "%s", endpoint) < 0)
        return kf_err_set (err, "cannot connect to %s: %s", endpoint, zmq_strerror (zmq_errno ()));
    return 0;
}
