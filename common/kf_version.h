/*  kf_version — the build's version, in pongs and heartbeats.  */
#ifndef KF_VERSION_H_INCLUDED
#define KF_VERSION_H_INCLUDED

#define KF_VERSION "0.4.0"

#endif
