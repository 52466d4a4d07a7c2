/*
 * mentord: the daemon. It loads and checks the configuration, then either
 * runs one cycle (--once, --dry-run) or runs cycles on a timer in an sd-event
 * loop until told to stop, reporting readiness and status to systemd.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include "conf.h"
#include "cycle.h"
#include "log.h"

/* Exit code for a configuration that does not load. */
#define EXIT_CONFIG 2

struct daemon_state {
	const struct conf *cf;
	sd_event_source *timer;
	int last_result;
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mentord [-c FILE] [-n] [--once] [--dry-run] [-f] [-d]\n"
		"Run reverse-mentoring cycles against the corporate directory.\n\n"
		"  -c, --config FILE  configuration file (default %s)\n"
		"  -n, --check        check the configuration and exit\n"
		"      --once         run one cycle and exit\n"
		"      --dry-run      run one cycle, print the planned changes as LDIF, write nothing\n"
		"  -f, --foreground   stay in the foreground\n"
		"  -d, --debug        debug output, with the effective configuration\n"
		"  -h, --help         this help\n"
		"  -V, --version      print the version\n",
		CONF_DEFAULT_PATH);
}

/* Log a one-line summary of a cycle. */
static void log_report(const struct cycle_report *rep, int dry_run)
{
	int prio = rep->result == CYCLE_OK ? LOG_NOTICE : LOG_ERR;
	log_msg(prio, "%s%s in %.2f s: %ld staff, %ld juniors, %ld seniors, %ld pairs; "
		"%ld adds, %ld modifies, %ld deletes%s%s; %ld values skipped",
		dry_run ? "dry run " : "cycle ", rep->result == CYCLE_OK ? "ok" : "failed",
		rep->seconds, rep->sync.staff, rep->sync.juniors, rep->sync.seniors, rep->pairs,
		rep->changes.adds, rep->changes.modifies, rep->changes.deletes,
		rep->result == CYCLE_OK ? "" : ": ", rep->result == CYCLE_OK ? "" : rep->error,
		rep->sync.skipped_values + rep->sync.skipped_entries);
	log_info("cycle phases: sync %.3f s, match and plan %.3f s, write %.3f s",
		 rep->sync_seconds, rep->plan_seconds, rep->write_seconds);
}

/* Run one cycle and tell systemd how it went. */
static int run_cycle(const struct conf *cf, int dry_run)
{
	struct cycle_report rep;
	sd_notify(0, "STATUS=running a cycle");
	cycle_run(cf, dry_run, dry_run ? stdout : NULL, &rep);
	log_report(&rep, dry_run);
	sd_notifyf(0, "STATUS=idle; last cycle %s, %ld adds %ld modifies %ld deletes",
		   rep.result == CYCLE_OK ? "ok" : "failed", rep.changes.adds, rep.changes.modifies,
		   rep.changes.deletes);
	return rep.result;
}

/* Timer callback: run a cycle, then re-arm for the next interval. */
static int on_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	struct daemon_state *ds = arg;
	ds->last_result = run_cycle(ds->cf, 0);
	sd_event_source_set_time_relative(s, (uint64_t)ds->cf->interval * 1000000u);
	return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* SIGUSR1: run a cycle now. */
static int on_usr1(sd_event_source *s, const struct signalfd_siginfo *si, void *arg)
{
	struct daemon_state *ds = arg;
	log_info("SIGUSR1: running a cycle now");
	return on_timer(ds->timer, 0, ds);
}

/* SIGTERM / SIGINT: leave the loop (cycles run to completion first). */
static int on_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *arg)
{
	sd_notify(0, "STOPPING=1");
	log_notice("stopping on signal %u", si->ssi_signo);
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* The scheduled service: a cycle at once, then one per interval. */
static int run_daemon(const struct conf *cf)
{
	struct daemon_state ds = {.cf = cf};
	sd_event *ev = NULL;
	sigset_t mask;
	int rc;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((rc = sd_event_default(&ev)) < 0 ||
	    (rc = sd_event_add_signal(ev, NULL, SIGTERM, on_stop, &ds)) < 0 ||
	    (rc = sd_event_add_signal(ev, NULL, SIGINT, on_stop, &ds)) < 0 ||
	    (rc = sd_event_add_signal(ev, NULL, SIGUSR1, on_usr1, &ds)) < 0 ||
	    (rc = sd_event_add_time_relative(ev, &ds.timer, CLOCK_MONOTONIC, 0, 0, on_timer, &ds)) < 0 ||
	    (rc = sd_event_set_watchdog(ev, 1)) < 0) {
		log_err("cannot set up the event loop: %s", strerror(-rc));
		sd_event_unref(ev);
		return 1;
	}
	sd_notify(0, "READY=1\nSTATUS=starting the first cycle");
	log_notice("started; a cycle every %d s", cf->interval);
	rc = sd_event_loop(ev);
	sd_event_source_unref(ds.timer);
	sd_event_unref(ev);
	return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'n'},
		{"once", no_argument, NULL, 'o'}, {"dry-run", no_argument, NULL, 'D'},
		{"foreground", no_argument, NULL, 'f'}, {"debug", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0},
	};
	const char *path = CONF_DEFAULT_PATH;
	int check = 0, once = 0, dry_run = 0, foreground = 0, debug = 0, c, rc;
	struct conf *cf;
	char *errors = NULL;
	while ((c = getopt_long(argc, argv, "c:nfdhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'n': check = 1; break;
		case 'o': once = 1; break;
		case 'D': dry_run = 1; break;
		case 'f': foreground = 1; break;
		case 'd': debug = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': puts(PACKAGE_STRING); return 0;
		default: usage(stderr); return EXIT_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mentord: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return EXIT_CONFIG;
	}
	log_init("mentord", debug);
	if (conf_load(path, &cf, &errors) < 0) {
		fprintf(stderr, "%s\n", errors);
		free(errors);
		return EXIT_CONFIG;
	}
	if (debug)
		conf_dump(cf, stderr);
	if (check) {
		printf("%s: configuration OK\n", path);
		conf_free(cf);
		return 0;
	}
	if (once || dry_run) {
		rc = run_cycle(cf, dry_run);
	} else if (!foreground && daemon(0, 1) < 0) {
		log_err("cannot go into the background: %m");
		rc = 1;
	} else {
		rc = run_daemon(cf);
	}
	conf_free(cf);
	return rc;
}
