/*
 * Metrics for admins who monitor with Prometheus: after each cycle, a
 * textfile-collector file with the cycle's duration and counts, the time of
 * the last success and the number of failed cycles.
 */
#ifndef MENTORD_METRICS_H
#define MENTORD_METRICS_H

#include "cycle.h"

/*
 * Replace the file at path (written beside it, then renamed, so the
 * collector never reads half a file). last_ok is the Unix time of the last
 * successful cycle (0: none); failed counts every failed cycle recorded.
 * Returns 0, or -1 after logging why.
 */
int metrics_write(const char *path, const struct cycle_report *rep, long long last_ok, long failed);

#endif
