/*
 * Prometheus textfile-collector output. Written atomically: a temporary file
 * in the same directory, renamed over the old one.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

/* One gauge with its help line; label may be NULL. */
static void gauge(FILE *fp, const char *name, const char *help, const char *label, double value)
{
	if (help)
		fprintf(fp, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	fprintf(fp, "%s%s%s%s %.17g\n", name, label ? "{" : "", label ? label : "", label ? "}" : "", value);
}

/* All metrics of one cycle. */
static void write_all(FILE *fp, const struct cycle_report *r, long long last_ok, long failed)
{
	gauge(fp, "mentord_cycle_duration_seconds", "Duration of the last cycle.", NULL, r->seconds);
	gauge(fp, "mentord_cycle_success", "1 if the last cycle succeeded, else 0.", NULL, r->result == CYCLE_OK);
	gauge(fp, "mentord_cycle_result", "Result code of the last cycle (see mentord(8), EXIT STATUS).", NULL, r->result);
	gauge(fp, "mentord_cycle_timestamp_seconds", "When the last cycle started.", NULL, (double)r->started);
	gauge(fp, "mentord_last_success_timestamp_seconds", "When the last successful cycle started.", NULL, (double)last_ok);
	gauge(fp, "mentord_cycles_failed", "Cycles recorded as not ok in the state database.", NULL, (double)failed);
	gauge(fp, "mentord_staff", "Staff synced by the last cycle.", NULL, (double)r->sync.staff);
	gauge(fp, "mentord_participants", "Participants found by the last cycle.", "role=\"junior\"", (double)r->sync.juniors);
	gauge(fp, "mentord_participants", NULL, "role=\"senior\"", (double)r->sync.seniors);
	gauge(fp, "mentord_pairs", "Pairs planned by the last cycle.", NULL, (double)r->pairs);
	gauge(fp, "mentord_changes", "Directory changes of the last cycle.", "op=\"add\"", (double)r->changes.adds);
	gauge(fp, "mentord_changes", NULL, "op=\"modify\"", (double)r->changes.modifies);
	gauge(fp, "mentord_changes", NULL, "op=\"delete\"", (double)r->changes.deletes);
	gauge(fp, "mentord_skipped", "Bad values and entries skipped by the last cycle.", NULL,
	      (double)(r->sync.skipped_values + r->sync.skipped_entries));
}

int metrics_write(const char *path, const struct cycle_report *rep, long long last_ok, long failed)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *fp = fopen(tmp, "w");
	int rc = -1;
	if (!fp) {
		log_err("%s: cannot write metrics: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	write_all(fp, rep, last_ok, failed);
	/* the collector (node_exporter) runs as another user; the service's UMask=0077 would hide the file */
	if (fchmod(fileno(fp), 0644) != 0)
		log_warn("%s: cannot make the metrics readable: %s", tmp, strerror(errno));
	if (fclose(fp) != 0)
		log_err("%s: cannot write metrics: %s", tmp, strerror(errno));
	else if (rename(tmp, path) != 0)
		log_err("%s: cannot replace metrics file: %s", path, strerror(errno));
	else
		rc = 0;
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}
