/*
 * mentorctl: the admin and HR command line over the same modules as the
 * daemon. It reads the state store (status, pairs) and checks configurations;
 * every output that scripts may want exists as JSON and CSV too.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "cycle.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define EXIT_CONFIG 2

enum format { FMT_TABLE, FMT_JSON, FMT_CSV };

static void usage(FILE *fp)
{
	fprintf(fp,
		"Usage: mentorctl [-c FILE] COMMAND [OPTIONS]\n\n"
		"Commands:\n"
		"  status [--json]            the last cycle: when, how long, counts, outcome\n"
		"  pairs [--json | --csv]     the current pairs\n"
		"  check-config               check the configuration file\n\n"
		"Options:\n"
		"  -c, --config FILE          configuration file (default %s)\n"
		"  -h, --help                 this help\n",
		CONF_DEFAULT_PATH);
}

/* Print s as a JSON string literal. */
static void json_string(FILE *fp, const char *s)
{
	if (!s) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

/* Print s as one CSV field (RFC 4180 quoting). */
static void csv_field(FILE *fp, const char *s, int last)
{
	s = s ? s : "";
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', fp);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', fp);
			fputc(*s, fp);
		}
		fputc('"', fp);
	} else {
		fputs(s, fp);
	}
	fputc(last ? '\n' : ',', fp);
}

/* A Unix time as "YYYY-MM-DD HH:MM:SS UTC" (or ISO 8601 with iso). */
static const char *format_time(long long t, int iso, char buf[40])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, 40, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

/* Print s in a column of width characters (UTF-8 aware): cut if longer, padded if shorter. */
static void print_cell(const char *s, int width)
{
	int n = 0;
	s = s ? s : "-";
	for (const char *p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80) {
			if (n <= width)
				fputc(*p, stdout);
			continue;
		}
		if (++n <= width)
			fputc(*p, stdout);
	}
	for (; n < width + 1; n++)
		fputc(' ', stdout);
}

/* Open the store named by the config read-only; logs why not. */
static store *open_store(const struct conf *cf)
{
	store *st;
	if (access(cf->state_db, R_OK) != 0) {
		fprintf(stderr, "mentorctl: %s: no state yet (has mentord run a cycle?)\n", cf->state_db);
		return NULL;
	}
	return store_open(cf->state_db, 1, &st) == 0 ? st : NULL;
}

/* status: the last cycle. */
static int cmd_status(const struct conf *cf, enum format fmt)
{
	store *st = open_store(cf);
	struct store_run r;
	char when[40];
	int rc;
	if (!st)
		return 1;
	rc = store_run_last(st, &r);
	store_close(st);
	if (rc < 0)
		return 1;
	if (rc == 1) {
		if (fmt == FMT_JSON)
			puts("{\"last_cycle\": null}");
		else
			puts("no cycle has run yet");
		return 0;
	}
	if (fmt == FMT_JSON) {
		printf("{\"last_cycle\": {\"id\": %lld, \"started\": \"%s\", \"seconds\": %.3f, \"outcome\": ",
		       r.id, format_time(r.started, 1, when), r.seconds);
		json_string(stdout, r.outcome);
		printf(", \"staff\": %ld, \"juniors\": %ld, \"seniors\": %ld, \"skipped\": %ld, "
		       "\"pairs\": %ld, \"adds\": %ld, \"modifies\": %ld, \"deletes\": %ld, \"error\": ",
		       r.staff, r.juniors, r.seniors, r.skipped, r.pairs, r.adds, r.modifies, r.deletes);
		json_string(stdout, r.error);
		puts("}}");
	} else {
		printf("last cycle:   #%lld at %s, %.2f s, %s\n", r.id, format_time(r.started, 0, when),
		       r.seconds, r.outcome);
		printf("staff:        %ld (%ld bad values or entries skipped)\n", r.staff, r.skipped);
		printf("participants: %ld juniors, %ld seniors\n", r.juniors, r.seniors);
		printf("pairs:        %ld\n", r.pairs);
		printf("changes:      %ld adds, %ld modifies, %ld deletes\n", r.adds, r.modifies, r.deletes);
		if (r.error)
			printf("error:        %s\n", r.error);
	}
	rc = strcmp(r.outcome, "ok") == 0 ? 0 : 1;
	store_run_clear(&r);
	return rc;
}

struct pairs_out {
	enum format fmt;
	long n;
};

/* One side of a pair as a JSON object. */
static void json_side(const struct store_pair_side *s)
{
	const char *keys[] = {"id", "dn", "name", "mail", "department", "location", "cohort"};
	const char *vals[] = {s->uuid, s->dn, s->name, s->mail, s->department, s->location, s->cohort};
	fputc('{', stdout);
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		printf("%s\"%s\": ", i ? ", " : "", keys[i]);
		json_string(stdout, vals[i]);
	}
	fputc('}', stdout);
}

/* Print one pair in the chosen format. */
static int print_pair(const struct store_pair_row *p, void *arg)
{
	struct pairs_out *o = arg;
	char when[40], score[16];
	if (o->fmt == FMT_JSON) {
		fputs(o->n ? ",\n  {\"mentor\": " : "\n  {\"mentor\": ", stdout);
		json_side(&p->mentor);
		fputs(", \"mentee\": ", stdout);
		json_side(&p->mentee);
		printf(", \"score\": %d, \"started\": \"%s\", \"group\": ", p->score, format_time(p->started, 1, when));
		json_string(stdout, p->dn);
		fputc('}', stdout);
	} else if (o->fmt == FMT_CSV) {
		snprintf(score, sizeof(score), "%d", p->score);
		const char *f[] = {p->mentor.name, p->mentor.mail, p->mentor.cohort, p->mentor.department,
				   p->mentee.name, p->mentee.mail, p->mentee.cohort, p->mentee.department,
				   score, format_time(p->started, 1, when), p->dn};
		for (size_t i = 0; i < ARRAY_LEN(f); i++)
			csv_field(stdout, f[i], i + 1 == ARRAY_LEN(f));
	} else {
		print_cell(p->mentor.name, 24);
		print_cell(p->mentor.cohort, 12);
		print_cell(p->mentee.name, 24);
		print_cell(p->mentee.cohort, 12);
		printf("%5d  %s\n", p->score, format_time(p->started, 0, when));
	}
	o->n++;
	return 0;
}

/* pairs: the current pairs as a table, JSON or CSV. */
static int cmd_pairs(const struct conf *cf, enum format fmt)
{
	store *st = open_store(cf);
	struct pairs_out o = {fmt, 0};
	int rc;
	if (!st)
		return 1;
	if (fmt == FMT_JSON)
		fputs("[", stdout);
	else if (fmt == FMT_CSV)
		puts("mentor_name,mentor_mail,mentor_cohort,mentor_department,mentee_name,mentee_mail,"
		     "mentee_cohort,mentee_department,score,started,group");
	else
		printf("%-24s %-12s %-24s %-12s %5s  %s\n", "MENTOR", "COHORT", "MENTEE", "COHORT", "SCORE", "SINCE");
	rc = store_pairs_each(st, print_pair, &o);
	store_close(st);
	if (fmt == FMT_JSON)
		puts(o.n ? "\n]" : "]");
	else if (fmt == FMT_TABLE)
		printf("%ld pairs\n", o.n);
	return rc < 0 ? 1 : 0;
}

/* Parse the output-format options of a subcommand. */
static int parse_format(int argc, char **argv, int allow_csv, enum format *fmt)
{
	*fmt = FMT_TABLE;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			*fmt = FMT_JSON;
		else if (allow_csv && strcmp(argv[i], "--csv") == 0)
			*fmt = FMT_CSV;
		else {
			fprintf(stderr, "mentorctl: %s: unknown option \"%s\"\n", argv[0], argv[i]);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *path = CONF_DEFAULT_PATH, *cmd;
	struct conf *cf;
	char *errors = NULL;
	enum format fmt;
	int c, rc;
	while ((c = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else {
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : EXIT_CONFIG;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	log_init("mentorctl", 0);
	cmd = argv[optind];
	if (conf_load(path, &cf, &errors) < 0) {
		fprintf(stderr, "%s\n", errors);
		free(errors);
		return EXIT_CONFIG;
	}
	if (strcmp(cmd, "check-config") == 0) {
		printf("%s: configuration OK\n", path);
		rc = 0;
	} else if (strcmp(cmd, "status") == 0) {
		rc = parse_format(argc - optind, argv + optind, 0, &fmt) < 0 ? EXIT_CONFIG : cmd_status(cf, fmt);
	} else if (strcmp(cmd, "pairs") == 0) {
		rc = parse_format(argc - optind, argv + optind, 1, &fmt) < 0 ? EXIT_CONFIG : cmd_pairs(cf, fmt);
	} else {
		fprintf(stderr, "mentorctl: unknown command \"%s\"\n", cmd);
		usage(stderr);
		rc = EXIT_CONFIG;
	}
	conf_free(cf);
	return rc;
}
