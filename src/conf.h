/*
 * The configuration: parsed from a libconfig file, validated key by key with
 * "file:line: message" errors, with every default filled in. Other modules
 * read the struct directly; only conf.c knows libconfig.
 */
#ifndef MENTORD_CONF_H
#define MENTORD_CONF_H

#include <stddef.h>
#include <stdio.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif
#define CONF_DEFAULT_PATH SYSCONFDIR "/mentord/mentord.conf"
#define CONF_DEFAULT_DB LOCALSTATEDIR "/lib/mentord/mentord.db"

enum conf_tls { CONF_TLS_NONE, CONF_TLS_STARTTLS, CONF_TLS_LDAPS };
/* Which kind of directory server: told, or found out from its root DSE. */
enum conf_dir_type { CONF_DIR_AUTO, CONF_DIR_OPENLDAP, CONF_DIR_AD };
/* How changes are read from Active Directory. */
enum conf_ad_sync { CONF_AD_SYNC_AUTO, CONF_AD_SYNC_DIRSYNC, CONF_AD_SYNC_USN };

/* A birth cohort: people born in [from, to] (inclusive) carry this name. */
struct conf_cohort {
	char *name;
	int from, to;
};

/*
 * Who teaches an area. Digital areas go junior -> senior: the junior mentor
 * closes the senior mentee's gap, and only these count in the pair score.
 * Leadership and business areas go senior -> junior: they give the mentor's
 * objectives (model_objective_list). 0 is digital, so a zeroed area is digital.
 */
enum conf_direction { CONF_DIR_DIGITAL = 0, CONF_DIR_LEADERSHIP, CONF_DIR_BUSINESS };

/*
 * A competence area of the model: levels run 1..scale, 0 means not assessed.
 * The fields after weight are new; an area built by hand (tests, benchmarks)
 * that leaves them zero is digital, without description or competences.
 */
struct conf_area {
	char *id;       /* as written in mentoringCompetence values, e.g. "digcomp.1" */
	char *name;     /* human-readable; defaults to id */
	int standard;   /* minimum standard level, 1..scale */
	int weight;     /* strategic weight, >= 0 */
	enum conf_direction direction;
	char *description;       /* NULL: none */
	size_t first_competence; /* its competences: cf->competences[first_competence ..] */
	size_t n_competences;    /* 0: assessed as a whole (an area-level model) */
};

/* A competence inside an area, for competence-level models (e.g. "digcomp.2.4"). */
struct conf_competence {
	char *id;          /* "<area id>.<suffix>", lower case; ids are unique across areas too */
	char *name;        /* defaults to id */
	char *description; /* NULL: none */
	size_t area;       /* index in cf->areas */
	int standard;      /* 1..scale; defaults to the area's */
};

/* Which person attribute holds each piece of staff data. */
struct conf_attrs {
	char *id, *name, *mail, *title, *department, *manager, *location;
	char *birth_year, *hire_date, *competence, *capacity;
	char *avoid;    /* DNs of people this person must not be paired with */
};

/* A location whose people share a time zone (matching.timezones). */
struct conf_timezone {
	char *location; /* compared with the location attribute, ignoring case */
	int offset;     /* minutes east of UTC */
};

/* When a cycle's pairs reach the directory (matching.publish). */
enum conf_publish { CONF_PUBLISH_AUTO, CONF_PUBLISH_MANUAL };

struct conf {
	char *path;             /* the file this came from */

	/* directory */
	char **uris;            /* NULL-terminated, at least one */
	size_t n_uris;
	char *base_dn;
	char *bind_dn;          /* NULL: anonymous */
	char *password_file;    /* required with bind_dn; the password is never in the config */
	enum conf_tls tls;
	char *ca_file;          /* NULL: system default */
	char *cert_file;        /* TLS client certificate (PEM), with key_file; NULL: none */
	char *key_file;         /* its private key (PEM) */
	int timeout;            /* seconds, network and per operation; default 10 */
	int idle_timeout;       /* seconds unused after which a cycle connects again before using it; 0: never */
	int page_size;          /* paged-results size; default 500, 1..1000 */
	enum conf_dir_type dir_type; /* default auto */
	enum conf_ad_sync ad_sync;   /* default auto: DirSync when allowed, else uSNChanged */
	char *sasl_mech;        /* "GSSAPI" or "EXTERNAL"; NULL: simple bind */

	/* people */
	char *people_base;      /* default base_dn */
	char *people_filter;    /* default "(objectClass=inetOrgPerson)" */
	int full_sync_interval; /* seconds between complete reads (0: every cycle); default 86400 */
	struct conf_attrs attr;

	/* participants */
	char *juniors_group;    /* DN of the HR-managed juniors group (mentors) */
	char *seniors_group;    /* DN of the HR-managed seniors group (mentees) */
	char *member_attr;      /* default "member" */
	char *trained_group;    /* NULL, or only juniors also in this group mentor */
	char *excluded_group;   /* NULL, or members of this group take no part */

	/* cohorts, sorted by from year; default Baby Boomers, X, Y, Z */
	struct conf_cohort *cohorts;
	size_t n_cohorts;

	/* competence model */
	int scale;              /* highest level; default 8 */
	char **level_names;     /* scale names, level l is level_names[l - 1], NULL-terminated;
				   default "1".."scale" */
	struct conf_area *areas;
	size_t n_areas;         /* >= 1; default the five DigComp areas, digital, standard 4,
				   weight 1, no competences */
	struct conf_competence *competences; /* grouped by area, in file order; NULL if none */
	size_t n_competences;

	/* matching */
	int capacity;           /* seniors per junior; default 3, 0..100 */
	int mentors_per_senior; /* distinct juniors per senior; default 1, 1..10 */
	int threads;            /* matching's scanning threads; 0 (default): the online CPUs, at most 8 */
	int min_score;          /* default 0 */
	int seniority_gap;      /* years; 0: the cohort rule */
	int max_tz_minutes;     /* pairs further apart are not made; -1: no limit (default) */
	struct conf_timezone *timezones; /* location -> offset, in file order */
	size_t n_timezones;
	int bonus_cross_department; /* default 2 */
	int bonus_same_tz;      /* default 2 */
	int bonus_near_tz;      /* default 1 */
	int near_tz_minutes;    /* reach of bonus_near_tz; default 180 (3 hours) */
	int bonus_stability;    /* default 5 */
	int cooldown_days;      /* an ended pair is not made again for this long; default 0 */
	enum conf_publish publish; /* default auto */

	/* writeback */
	char *managed_ou;       /* default "ou=mentoring,<base_dn>" */
	char *owner;            /* ownership marker value; default "mentord" */
	int max_delete_percent; /* refuse to delete more than this share of existing pairs; default 50 */

	/* state */
	char *state_db;         /* default CONF_DEFAULT_DB */

	/* daemon */
	int interval;           /* seconds between cycles; default 3600 */
	int jitter;             /* up to this many random seconds added to each interval; default 60 */
	char *metrics_file;     /* Prometheus textfile-collector output (absolute, *.prom); NULL: none */
};

/*
 * Load and validate path. On success returns 0 and *out (free with
 * conf_free). On failure returns -1 and *errors holds one or more lines of
 * the form "file:line: message" (caller frees); *out is untouched.
 * `@include "name"` (on a line of its own) is resolved against the
 * directory of path, also inside included files (libconfig 1.5 has one
 * include directory per parse); errors in an included file name that file.
 */
int conf_load(const char *path, struct conf **out, char **errors);

/* The configuration with every default and no file behind it, for tests. */
struct conf *conf_defaults(void);

void conf_free(struct conf *cf);

/* Write the effective configuration in libconfig syntax; secrets are masked. */
void conf_dump(const struct conf *cf, FILE *fp);

/*
 * Every key the parser accepts, as "group.key" ("directory.page_size",
 * "people.attributes.birth_year"; keys of list elements without an index:
 * "cohorts.from", "model.areas.weight"), in file order, NULL-terminated.
 * Only leaves are listed, not the groups and lists that hold them. Built
 * from the parser's own key tables on the first call (not thread-safe);
 * static storage, do not free.
 */
const char *const *conf_keys(void);

/* Index of the area with this id (ignoring case), or -1. Competence ids are not areas. */
int conf_area_index(const struct conf *cf, const char *id);

/* Index of the competence with this id (ignoring case) in cf->competences, or -1. */
int conf_competence_index(const struct conf *cf, const char *id);

/* The offset of location in cf->timezones (ignoring case): 0 and *minutes set, or -1. */
int conf_timezone_of(const struct conf *cf, const char *location, int *minutes);

/* "digital", "leadership" or "business". */
const char *conf_direction_name(enum conf_direction d);

#endif
