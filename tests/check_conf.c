/*
 * Unit tests for the configuration module, through its public API only:
 * each test writes a small libconfig file to a temporary path, loads it and
 * checks the resulting struct or the exact "file:line: message" errors.
 * Also the string map and hash from util that the configuration and the
 * roster are looked up through.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/check_main.h"
#include "conf.h"
#include "util.h"

/* The four required keys, everything else left to the defaults. */
#define MIN_DIRECTORY                                                                    \
	"directory = {\n"                                                                \
	"  uri = \"ldap://127.0.0.1:3890/\";\n"                                          \
	"  base = \"dc=example,dc=com\";\n"                                              \
	"};\n"
#define MIN_PARTICIPANTS                                                                 \
	"participants = {\n"                                                             \
	"  juniors = \"cn=mentoring-juniors,ou=groups,dc=example,dc=com\";\n"            \
	"  seniors = \"cn=mentoring-seniors,ou=groups,dc=example,dc=com\";\n"            \
	"};\n"
#define MIN_CONF MIN_DIRECTORY MIN_PARTICIPANTS

/* The file of the current test, and what loading it gave. */
static char conf_path[64];
static struct conf *cf;
static char *errors;

/* Create a new temporary file named into path[64]; returns it open for writing. */
static FILE *create_temp(char *path, const char *stem)
{
	const char *dir = getenv("TMPDIR");
	FILE *fp;
	int fd;
	snprintf(path, 64, "%s/%s.XXXXXX", dir && *dir && strlen(dir) < 40 ? dir : "/tmp", stem);
	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp %s: %s", path, strerror(errno));
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	return fp;
}

/* Write text to a new temporary file; its name goes to conf_path. */
static void write_conf(const char *text)
{
	FILE *fp = create_temp(conf_path, "check_conf");
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Write text and load it; returns conf_load's result. */
static int load_text(const char *text)
{
	write_conf(text);
	return conf_load(conf_path, &cf, &errors);
}

/* Forget the previous load, for tests that load several texts. */
static void forget_load(void)
{
	conf_free(cf);
	cf = NULL;
	free(errors);
	errors = NULL;
	unlink(conf_path);
}

/* Load text that must be accepted. */
static void load_ok(const char *text)
{
	int rc = load_text(text);
	ck_assert_msg(rc == 0, "load failed:\n%s", errors ? errors : "(no errors)");
	ck_assert_ptr_nonnull(cf);
}

/* Load text that must be rejected. */
static void load_fails(const char *text)
{
	int rc = load_text(text);
	ck_assert_msg(rc == -1, "load succeeded for:\n%s", text);
	ck_assert_ptr_nonnull(errors);
	ck_assert_ptr_null(cf);
}

/* Whether one line of errors is exactly "<conf_path>:<line>: <message>" (line 0: no line). */
static int has_error(int line, const char *message)
{
	char want[1024];
	size_t n;
	if (line)
		n = (size_t)snprintf(want, sizeof(want), "%s:%d: %s", conf_path, line, message);
	else
		n = (size_t)snprintf(want, sizeof(want), "%s: %s", conf_path, message);
	for (const char *p = errors; p && *p;) {
		size_t len = strcspn(p, "\n");
		if (len == n && strncmp(p, want, n) == 0)
			return 1;
		p += len + (p[len] == '\n');
	}
	return 0;
}

/* Whether some error line is at the given line and contains the fragment. */
static int has_error_like(int line, const char *fragment)
{
	char prefix[128];
	size_t n = (size_t)snprintf(prefix, sizeof(prefix), "%s:%d: ", conf_path, line);
	for (const char *p = errors; p && *p;) {
		size_t len = strcspn(p, "\n");
		char *one = strndup(p, len);
		int hit = strncmp(one, prefix, n) == 0 && strstr(one + n, fragment);
		free(one);
		if (hit)
			return 1;
		p += len + (p[len] == '\n');
	}
	return 0;
}

/* Number of lines in errors. */
static int count_errors(void)
{
	int n = errors && *errors ? 1 : 0;
	for (const char *p = errors; p && *p; p++)
		n += *p == '\n';
	return n;
}

#define ck_error(line, msg) ck_assert_msg(has_error(line, msg), "missing error %d: %s\ngot:\n%s", \
					  line, msg, errors)
#define ck_error_like(line, frag) \
	ck_assert_msg(has_error_like(line, frag), "no error at line %d like \"%s\"\ngot:\n%s", \
		      line, frag, errors)

/*
 * A scratch directory for @include tests: inc_dir/mentord.conf, and
 * inc_dir/models, a directory or a symbolic link; the files made in it are
 * listed so that teardown removes exactly those.
 */
static char inc_dir[48];
static char inc_files[8][128];
static size_t n_inc_files;
static int models_is_link;

/* Make inc_dir; models: 1 for a models/ directory, 0 for none (a link comes later). */
static void make_inc_dir(int models)
{
	const char *tmp = getenv("TMPDIR");
	char path[128];
	snprintf(inc_dir, sizeof(inc_dir), "%s/check_conf_inc.XXXXXX",
		 tmp && *tmp && strlen(tmp) < 25 ? tmp : "/tmp");
	ck_assert_msg(mkdtemp(inc_dir) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/models", inc_dir);
	ck_assert(!models || mkdir(path, 0700) == 0);
	n_inc_files = 0;
	models_is_link = 0;
}

/* Write text to inc_dir/name (name relative, e.g. "models/m.conf"). */
static void write_inc(const char *name, const char *text)
{
	char *path = inc_files[n_inc_files++];
	FILE *fp;
	ck_assert_uint_le(n_inc_files, 8);
	snprintf(path, 128, "%s/%s", inc_dir, name);
	fp = fopen(path, "w");
	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Write the main file inc_dir/mentord.conf (that becomes conf_path) and load it. */
static int load_inc(const char *text)
{
	write_inc("mentord.conf", text);
	snprintf(conf_path, sizeof(conf_path), "%s/mentord.conf", inc_dir);
	return conf_load(conf_path, &cf, &errors);
}

/* Remove what make_inc_dir and write_inc made. */
static void remove_inc_dir(void)
{
	char path[128];
	for (size_t i = 0; i < n_inc_files; i++)
		unlink(inc_files[i]);
	snprintf(path, sizeof(path), "%s/models", inc_dir);
	if (models_is_link)
		unlink(path);
	else
		rmdir(path);
	rmdir(inc_dir);
	inc_dir[0] = '\0';
	n_inc_files = 0;
}

static void setup(void)
{
	cf = NULL;
	errors = NULL;
	conf_path[0] = '\0';
	inc_dir[0] = '\0';
}

static void teardown(void)
{
	conf_free(cf);
	free(errors);
	if (inc_dir[0])
		remove_inc_dir();
	else if (conf_path[0])
		unlink(conf_path);
}

/* Compare two string fields that may be NULL. */
static void ck_same_str(const char *a, const char *b, const char *what)
{
	if (!a || !b)
		ck_assert_msg(a == b, "%s: %s vs %s", what, a ? a : "NULL", b ? b : "NULL");
	else
		ck_assert_msg(strcmp(a, b) == 0, "%s: \"%s\" vs \"%s\"", what, a, b);
}

static void ck_same_attrs(const struct conf_attrs *a, const struct conf_attrs *b)
{
	ck_same_str(a->id, b->id, "attr.id");
	ck_same_str(a->name, b->name, "attr.name");
	ck_same_str(a->mail, b->mail, "attr.mail");
	ck_same_str(a->title, b->title, "attr.title");
	ck_same_str(a->department, b->department, "attr.department");
	ck_same_str(a->manager, b->manager, "attr.manager");
	ck_same_str(a->location, b->location, "attr.location");
	ck_same_str(a->birth_year, b->birth_year, "attr.birth_year");
	ck_same_str(a->hire_date, b->hire_date, "attr.hire_date");
	ck_same_str(a->competence, b->competence, "attr.competence");
	ck_same_str(a->capacity, b->capacity, "attr.capacity");
	ck_same_str(a->avoid, b->avoid, "attr.avoid");
}

/* Level names and competences must match too. */
static void ck_same_competences(const struct conf *a, const struct conf *b)
{
	for (int i = 0; i < a->scale; i++)
		ck_same_str(a->level_names[i], b->level_names[i], "level name");
	ck_assert_ptr_null(a->level_names[a->scale]);
	ck_assert_ptr_null(b->level_names[b->scale]);
	ck_assert_uint_eq(a->n_competences, b->n_competences);
	for (size_t i = 0; i < a->n_areas; i++) {
		ck_same_str(a->areas[i].description, b->areas[i].description, "area description");
		ck_assert_int_eq(a->areas[i].direction, b->areas[i].direction);
		ck_assert_uint_eq(a->areas[i].first_competence, b->areas[i].first_competence);
		ck_assert_uint_eq(a->areas[i].n_competences, b->areas[i].n_competences);
	}
	for (size_t i = 0; i < a->n_competences; i++) {
		ck_same_str(a->competences[i].id, b->competences[i].id, "competence id");
		ck_same_str(a->competences[i].name, b->competences[i].name, "competence name");
		ck_same_str(a->competences[i].description, b->competences[i].description,
			    "competence description");
		ck_assert_uint_eq(a->competences[i].area, b->competences[i].area);
		ck_assert_int_eq(a->competences[i].standard, b->competences[i].standard);
	}
}

static void ck_same_model(const struct conf *a, const struct conf *b)
{
	ck_assert_uint_eq(a->n_cohorts, b->n_cohorts);
	for (size_t i = 0; i < a->n_cohorts; i++) {
		ck_same_str(a->cohorts[i].name, b->cohorts[i].name, "cohort name");
		ck_assert_int_eq(a->cohorts[i].from, b->cohorts[i].from);
		ck_assert_int_eq(a->cohorts[i].to, b->cohorts[i].to);
	}
	ck_assert_int_eq(a->scale, b->scale);
	ck_assert_uint_eq(a->n_areas, b->n_areas);
	for (size_t i = 0; i < a->n_areas; i++) {
		ck_same_str(a->areas[i].id, b->areas[i].id, "area id");
		ck_same_str(a->areas[i].name, b->areas[i].name, "area name");
		ck_assert_int_eq(a->areas[i].standard, b->areas[i].standard);
		ck_assert_int_eq(a->areas[i].weight, b->areas[i].weight);
	}
	ck_same_competences(a, b);
}

/* The programme's rules of two configurations are the same. */
static void ck_same_rules(const struct conf *a, const struct conf *b)
{
	ck_same_str(a->trained_group, b->trained_group, "trained_group");
	ck_same_str(a->excluded_group, b->excluded_group, "excluded_group");
	ck_assert_int_eq(a->seniority_gap, b->seniority_gap);
	ck_assert_int_eq(a->max_tz_minutes, b->max_tz_minutes);
	ck_assert_int_eq(a->bonus_cross_department, b->bonus_cross_department);
	ck_assert_int_eq(a->bonus_same_tz, b->bonus_same_tz);
	ck_assert_int_eq(a->bonus_near_tz, b->bonus_near_tz);
	ck_assert_int_eq(a->near_tz_minutes, b->near_tz_minutes);
	ck_assert_int_eq(a->bonus_stability, b->bonus_stability);
	ck_assert_int_eq(a->cooldown_days, b->cooldown_days);
	ck_assert_int_eq(a->publish, b->publish);
	ck_assert_uint_eq(a->n_timezones, b->n_timezones);
	for (size_t i = 0; i < a->n_timezones; i++) {
		ck_same_str(a->timezones[i].location, b->timezones[i].location, "timezones.location");
		ck_assert_int_eq(a->timezones[i].offset, b->timezones[i].offset);
	}
}

/* Everything but the path must match. */
static void ck_same_conf(const struct conf *a, const struct conf *b)
{
	ck_assert_uint_eq(a->n_uris, b->n_uris);
	for (size_t i = 0; i <= a->n_uris; i++)
		ck_same_str(a->uris[i], b->uris[i], "uri");
	ck_same_str(a->base_dn, b->base_dn, "base_dn");
	ck_same_str(a->bind_dn, b->bind_dn, "bind_dn");
	ck_same_str(a->password_file, b->password_file, "password_file");
	ck_assert_int_eq(a->tls, b->tls);
	ck_same_str(a->ca_file, b->ca_file, "ca_file");
	ck_same_str(a->cert_file, b->cert_file, "cert_file");
	ck_same_str(a->key_file, b->key_file, "key_file");
	ck_assert_int_eq(a->timeout, b->timeout);
	ck_assert_int_eq(a->idle_timeout, b->idle_timeout);
	ck_assert_int_eq(a->page_size, b->page_size);
	ck_same_str(a->people_base, b->people_base, "people_base");
	ck_same_str(a->people_filter, b->people_filter, "people_filter");
	ck_assert_int_eq(a->full_sync_interval, b->full_sync_interval);
	ck_same_attrs(&a->attr, &b->attr);
	ck_same_str(a->juniors_group, b->juniors_group, "juniors_group");
	ck_same_str(a->seniors_group, b->seniors_group, "seniors_group");
	ck_same_str(a->member_attr, b->member_attr, "member_attr");
	ck_same_model(a, b);
	ck_assert_int_eq(a->capacity, b->capacity);
	ck_assert_int_eq(a->mentors_per_senior, b->mentors_per_senior);
	ck_assert_int_eq(a->threads, b->threads);
	ck_assert_int_eq(a->min_score, b->min_score);
	ck_same_rules(a, b);
	ck_same_str(a->managed_ou, b->managed_ou, "managed_ou");
	ck_same_str(a->owner, b->owner, "owner");
	ck_assert_int_eq(a->max_delete_percent, b->max_delete_percent);
	ck_same_str(a->state_db, b->state_db, "state_db");
	ck_assert_int_eq(a->interval, b->interval);
	ck_assert_int_eq(a->jitter, b->jitter);
	ck_same_str(a->metrics_file, b->metrics_file, "metrics_file");
}

/* Dump c to a temporary file and load that; the caller frees the result. */
static struct conf *dump_and_reload(const struct conf *c)
{
	char path[64], *err = NULL;
	struct conf *back = NULL;
	FILE *fp = create_temp(path, "check_conf_dump");
	conf_dump(c, fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_msg(conf_load(path, &back, &err) == 0, "dump does not load back:\n%s", err);
	unlink(path);
	return back;
}

/* ------------------------------------------------------------------ */

START_TEST(test_defaults)
{
	struct conf *d = conf_defaults();
	static const char *const names[] = { "Baby Boomers", "X", "Y", "Z" };
	static const int from[] = { 1946, 1965, 1980, 2001 }, to[] = { 1964, 1979, 2000, 2010 };
	ck_assert_ptr_null(d->path);
	ck_assert_uint_eq(d->n_uris, 0);
	ck_assert_ptr_nonnull(d->uris);
	ck_assert_ptr_null(d->uris[0]);
	ck_assert_int_eq(d->tls, CONF_TLS_NONE);
	ck_assert_int_eq(d->timeout, 10);
	ck_assert_int_eq(d->idle_timeout, 240);
	ck_assert_int_eq(d->page_size, 500);
	ck_assert_str_eq(d->people_filter, "(objectClass=inetOrgPerson)");
	ck_assert_int_eq(d->full_sync_interval, 86400);
	ck_assert_str_eq(d->attr.id, "entryUUID");
	ck_assert_str_eq(d->attr.department, "departmentNumber");
	ck_assert_str_eq(d->attr.location, "l");
	ck_assert_str_eq(d->attr.birth_year, "mentoringBirthYear");
	ck_assert_str_eq(d->attr.hire_date, "mentoringHireDate");
	ck_assert_str_eq(d->attr.competence, "mentoringCompetence");
	ck_assert_str_eq(d->attr.capacity, "mentoringCapacity");
	ck_assert_str_eq(d->member_attr, "member");
	ck_assert_uint_eq(d->n_cohorts, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(d->cohorts[i].name, names[i]);
		ck_assert_int_eq(d->cohorts[i].from, from[i]);
		ck_assert_int_eq(d->cohorts[i].to, to[i]);
	}
	ck_assert_int_eq(d->scale, 8);
	ck_assert_uint_eq(d->n_areas, 5);
	ck_assert_str_eq(d->areas[0].id, "digcomp.1");
	ck_assert_str_eq(d->areas[0].name, "Information and data literacy");
	ck_assert_str_eq(d->areas[1].name, "Communication and collaboration");
	ck_assert_str_eq(d->areas[2].name, "Digital content creation");
	ck_assert_str_eq(d->areas[3].name, "Safety");
	ck_assert_str_eq(d->areas[4].id, "digcomp.5");
	ck_assert_str_eq(d->areas[4].name, "Problem solving");
	for (size_t i = 0; i < 5; i++) {
		ck_assert_int_eq(d->areas[i].standard, 4);
		ck_assert_int_eq(d->areas[i].weight, 1);
		ck_assert_int_eq(d->areas[i].direction, CONF_DIR_DIGITAL);
		ck_assert_ptr_null(d->areas[i].description);
		ck_assert_uint_eq(d->areas[i].n_competences, 0);
	}
	ck_assert_uint_eq(d->n_competences, 0);
	ck_assert_ptr_null(d->competences);
	ck_assert_str_eq(d->level_names[0], "1");
	ck_assert_str_eq(d->level_names[7], "8");
	ck_assert_ptr_null(d->level_names[8]);
	ck_assert_int_eq(d->capacity, 3);
	ck_assert_int_eq(d->mentors_per_senior, 1);
	ck_assert_int_eq(d->threads, 0);
	ck_assert_int_eq(d->min_score, 0);
	ck_assert_str_eq(d->owner, "mentord");
	ck_assert_int_eq(d->max_delete_percent, 50);
	ck_assert_str_eq(d->state_db, CONF_DEFAULT_DB);
	ck_assert_int_eq(d->interval, 3600);
	ck_assert_int_eq(d->jitter, 60);
	ck_assert_ptr_null(d->metrics_file);
	conf_free(d);
	conf_free(NULL);
}
END_TEST

START_TEST(test_example_loads)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	snprintf(path, sizeof(path), "%s/contrib/mentord.conf.example", top && *top ? top : ".");
	ck_assert_msg(conf_load(path, &cf, &errors) == 0, "%s does not load:\n%s", path, errors);
	ck_assert_str_eq(cf->path, path);
	ck_assert_uint_eq(cf->n_uris, 2);
	ck_assert_str_eq(cf->uris[1], "ldap://ldap2.example.com/");
	ck_assert_ptr_null(cf->uris[2]);
	ck_assert_int_eq(cf->tls, CONF_TLS_STARTTLS);
	ck_assert_str_eq(cf->bind_dn, "cn=mentord,ou=services,dc=example,dc=com");
	ck_assert_str_eq(cf->password_file, "/etc/mentord/bind.pw");
	ck_assert_str_eq(cf->people_base, "ou=people,dc=example,dc=com");
	ck_assert_str_eq(cf->managed_ou, "ou=mentoring,dc=example,dc=com");
	/* The example includes contrib/models/digcomp-2.2.conf. */
	ck_assert_uint_eq(cf->n_areas, 10);
	ck_assert_uint_eq(cf->n_competences, 21);
	ck_assert_str_eq(cf->level_names[7], "Highly specialised 8");
	ck_assert_uint_eq(cf->n_cohorts, 4);
}
END_TEST

START_TEST(test_minimal_gets_defaults)
{
	struct conf *d = conf_defaults();
	load_ok(MIN_CONF);
	ck_assert_str_eq(cf->path, conf_path);
	ck_assert_uint_eq(cf->n_uris, 1);
	ck_assert_str_eq(cf->uris[0], "ldap://127.0.0.1:3890/");
	ck_assert_ptr_null(cf->uris[1]);
	ck_assert_str_eq(cf->base_dn, "dc=example,dc=com");
	ck_assert_ptr_null(cf->bind_dn);
	ck_assert_ptr_null(cf->password_file);
	ck_assert_ptr_null(cf->ca_file);
	ck_assert_str_eq(cf->people_base, "dc=example,dc=com");
	ck_assert_str_eq(cf->juniors_group, "cn=mentoring-juniors,ou=groups,dc=example,dc=com");
	ck_assert_str_eq(cf->seniors_group, "cn=mentoring-seniors,ou=groups,dc=example,dc=com");
	ck_assert_str_eq(cf->managed_ou, "ou=mentoring,dc=example,dc=com");
	/* Everything else is exactly conf_defaults(). */
	d->uris = realloc(d->uris, 2 * sizeof(char *));
	d->uris[0] = strdup(cf->uris[0]);
	d->uris[1] = NULL;
	d->n_uris = 1;
	d->base_dn = strdup(cf->base_dn);
	d->people_base = strdup(cf->base_dn);
	d->juniors_group = strdup(cf->juniors_group);
	d->seniors_group = strdup(cf->seniors_group);
	d->managed_ou = strdup("ou=mentoring,dc=example,dc=com");
	ck_same_conf(cf, d);
	conf_free(d);
}
END_TEST

START_TEST(test_unknown_top_level)
{
	load_fails(MIN_CONF "\n"
			    "dirctory = { };\n"
			    "verbose = true;\n");
	ck_error(10, "unknown key \"dirctory\" at top level; did you mean directory?");
	ck_error(11, "unknown key \"verbose\" at top level");
	ck_assert_int_eq(count_errors(), 2);
}
END_TEST

START_TEST(test_unknown_nested)
{
	load_fails("directory = {\n"
		   "  uri = \"ldap://127.0.0.1/\";\n"
		   "  base = \"dc=example,dc=com\";\n"
		   "  pagesize = 100;\n"
		   "};\n" MIN_PARTICIPANTS
		   "people = { attributes = {\n"
		   "  mial = \"mail\";\n"
		   "}; };\n"
		   "cohorts = ( { name = \"A\"; from = 1950; to = 1960; },\n"
		   "  { name = \"B\"; from = 1961; til = 1970; } );\n");
	ck_error(4, "unknown key \"pagesize\" in group \"directory\"; did you mean page_size?");
	ck_error(11, "unknown key \"mial\" in group \"people.attributes\"; did you mean mail?");
	ck_error(14, "unknown key \"til\" in group \"cohorts[1]\"");
	ck_error(14, "missing required key cohorts[1].to");
	ck_assert_int_eq(count_errors(), 4);
}
END_TEST

START_TEST(test_wrong_type)
{
	load_fails("directory = {\n"
		   "  uri = 389;\n"
		   "  base = \"dc=example,dc=com\";\n"
		   "  timeout = \"10\";\n"
		   "  page_size = 1.5;\n"
		   "};\n" MIN_PARTICIPANTS
		   "model = \"digcomp\";\n"
		   "cohorts = { name = \"A\"; };\n"
		   "daemon = { interval = true; };\n");
	ck_error(2, "directory.uri: expected a string or an array, got an integer");
	ck_error(4, "directory.timeout: expected an integer, got a string");
	ck_error(5, "directory.page_size: expected an integer, got a float");
	ck_error(11, "model: expected a group, got a string");
	ck_error(12, "cohorts: expected a list, got a group");
	ck_error(13, "daemon.interval: expected an integer, got a boolean");
	ck_assert_int_eq(count_errors(), 6);
}
END_TEST

START_TEST(test_out_of_range)
{
	load_fails("directory = {\n"
		   "  uri = \"ldap://127.0.0.1/\";\n"
		   "  base = \"dc=example,dc=com\";\n"
		   "  timeout = 0; idle_timeout = -1;\n"
		   "  page_size = 1001;\n"
		   "};\n" MIN_PARTICIPANTS
		   "matching = { capacity = 101; min_score = -1; mentors_per_senior = 0; threads = 65; };\n"
		   "writeback = { max_delete_percent = 200; };\n"
		   "daemon = { interval = 59; };\n"
		   "cohorts = ( { name = \"Old\"; from = 1899; to = 1920; } );\n"
		   "model = { scale = 101; };\n"
		   "state = { database = \"\"; };\n"
		   "# libconfig 1.5 would wrap this to 1215752191 silently:\n"
		   "people = { attributes = { }; }; directory2 = 99999999999;\n");
	ck_error(4, "directory.timeout: 0 is out of range (1..3600)");
	ck_error(4, "directory.idle_timeout: -1 is out of range (0..86400)");
	ck_error(5, "directory.page_size: 1001 is out of range (1..1000)");
	ck_error(11, "matching.capacity: 101 is out of range (0..100)");
	ck_error(11, "matching.min_score: -1 is out of range (0..1000000)");
	ck_error(11, "matching.mentors_per_senior: 0 is out of range (1..10)");
	ck_error(11, "matching.threads: 65 is out of range (0..64)");
	ck_error(12, "writeback.max_delete_percent: 200 is out of range (0..100)");
	ck_error(13, "daemon.interval: 59 is out of range (60..604800)");
	ck_error(14, "cohorts[0].from: 1899 is out of range (1900..2100)");
	ck_error(15, "model.scale: 101 is out of range (1..100)");
	ck_error(16, "state.database: \"\" must not be empty");
	ck_error_like(18, "integer 99999999999 is too large");
	ck_error(18, "unknown key \"directory2\" at top level; did you mean directory?");
	ck_assert_int_eq(count_errors(), 14);
}
END_TEST

/* people.full_sync_interval: seconds, 0 (every cycle reads everything) up to 31 days. */
START_TEST(test_full_sync_interval)
{
	load_ok(MIN_CONF "people = { full_sync_interval = 0; };\n");
	ck_assert_int_eq(cf->full_sync_interval, 0);
	conf_free(cf);
	cf = NULL;
	load_fails(MIN_CONF "people = {\n  full_sync_interval = -1;\n};\n");
	ck_error(10, "people.full_sync_interval: -1 is out of range (0..2678400)");
	ck_assert_int_eq(count_errors(), 1);
}
END_TEST

START_TEST(test_wide_integer_in_range_key)
{
	/* 4294967306 wraps to 10 in libconfig 1.5; it must not pass as 10. */
	load_fails(MIN_CONF "matching = {\n  capacity = 4294967299;\n};\n"
			    "daemon = { interval = 5000000000; };\n");
	ck_error(10, "integer 4294967299 is too large (at most 2147483647; libconfig would "
		     "silently truncate it)");
	/* 5000000000 wraps to 705032704: reported once, as too large, not as out of range. */
	ck_error_like(12, "integer 5000000000 is too large");
	ck_assert_int_eq(count_errors(), 2);
}
END_TEST

START_TEST(test_wide_integer_false_positives)
{
	/* Big numbers inside strings, comments and floats, and int64 literals, are fine. */
	load_ok(MIN_CONF "# 99999999999\n"
			 "/* 99999999999\n 88888888888 */ // 77777777777\n"
			 "model = { areas = ( { id = \"a99999999999\"; name = \"99999999999\";\n"
			 "  standard = 1; weight = 3L; } ); };\n"
			 "matching = { min_score = 1000000; };\n");
	ck_assert_int_eq(cf->areas[0].weight, 3);
	conf_free(cf);
	cf = NULL;
	unlink(conf_path);
	load_fails(MIN_CONF "matching = { min_score = 99999999999L; };\n");
	ck_error(9, "matching.min_score: 99999999999 is out of range (0..1000000)");
}
END_TEST

START_TEST(test_missing_required)
{
	load_fails("people = { };\n");
	ck_error(0, "missing required key directory.uri");
	ck_error(0, "missing required key directory.base");
	ck_error(0, "missing required key participants.juniors");
	ck_error(0, "missing required key participants.seniors");
	ck_assert_int_eq(count_errors(), 4);
	teardown();
	setup();
	load_fails("# directory without a base\n"
		   "directory = {\n"
		   "  uri = \"ldap://127.0.0.1/\";\n"
		   "};\n" MIN_PARTICIPANTS);
	ck_error(2, "missing required key directory.base");
	ck_assert_int_eq(count_errors(), 1);
}
END_TEST

START_TEST(test_password_rejected)
{
	load_fails("directory = {\n"
		   "  uri = \"ldap://127.0.0.1/\";\n"
		   "  base = \"dc=example,dc=com\";\n"
		   "  bind_dn = \"cn=mentord,dc=example,dc=com\";\n"
		   "  password_file = \"/etc/mentord/bind.pw\";\n"
		   "  password = \"secret\";\n"
		   "  bind_pw = \"secret\";\n"
		   "};\n" MIN_PARTICIPANTS);
	ck_error_like(6, "directory.password: the bind password must not be in the configuration "
			 "file");
	ck_error_like(7, "directory.bind_pw: the bind password must not be in the configuration");
	ck_error_like(7, "set directory.password_file");
	ck_assert_int_eq(count_errors(), 2);
}
END_TEST

START_TEST(test_bind_needs_password_file)
{
	load_fails("directory = {\n"
		   "  uri = \"ldap://127.0.0.1/\";\n"
		   "  base = \"dc=example,dc=com\";\n"
		   "  bind_dn = \"cn=mentord,dc=example,dc=com\";\n"
		   "};\n" MIN_PARTICIPANTS);
	ck_error(4, "directory.bind_dn is set but directory.password_file is missing (the bind "
		    "password is read from that file)");
	ck_assert_int_eq(count_errors(), 1);
	teardown();
	setup();
	load_fails("directory = {\n"
		   "  uri = \"ldap://127.0.0.1/\";\n"
		   "  base = \"dc=example,dc=com\";\n"
		   "  password_file = \"/etc/mentord/bind.pw\";\n"
		   "};\n" MIN_PARTICIPANTS);
	ck_error(4, "directory.password_file is only used with directory.bind_dn, which is missing");
	teardown();
	setup();
	load_ok("directory = {\n"
		"  uri = \"ldap://127.0.0.1/\";\n"
		"  base = \"dc=example,dc=com\";\n"
		"  bind_dn = \"cn=mentord,dc=example,dc=com\";\n"
		"  password_file = \"/etc/mentord/bind.pw\";\n"
		"};\n" MIN_PARTICIPANTS);
	ck_assert_str_eq(cf->password_file, "/etc/mentord/bind.pw");
}
END_TEST

START_TEST(test_cohorts)
{
	load_ok(MIN_CONF "cohorts = (\n"
			 "  { name = \"Later\"; from = 1990; to = 2005; },\n"
			 "  { name = \"Earlier\"; from = 1950; to = 1969; }\n"
			 ");\n");
	ck_assert_uint_eq(cf->n_cohorts, 2);
	ck_assert_str_eq(cf->cohorts[0].name, "Earlier");
	ck_assert_int_eq(cf->cohorts[0].from, 1950);
	ck_assert_str_eq(cf->cohorts[1].name, "Later");
	ck_assert_int_eq(cf->cohorts[1].to, 2005);
}
END_TEST

START_TEST(test_cohorts_overlap)
{
	load_fails(MIN_CONF "cohorts = (\n"
			    "  { name = \"A\"; from = 1950; to = 1990; },\n"
			    "  { name = \"B\"; from = 1960; to = 1965; },\n"
			    "  { name = \"C\"; from = 1980; to = 1995; },\n"
			    "  { name = \"a\"; from = 2000; to = 2005; },\n"
			    "  { name = \"D\"; from = 2010; to = 2006; }\n"
			    ");\n");
	ck_error(11, "cohorts[1]: 1960..1965 overlaps \"A\" (1950..1990)");
	ck_error(12, "cohorts[2]: 1980..1995 overlaps \"A\" (1950..1990)");
	ck_error(13, "cohorts[3]: the name \"a\" is already used by cohorts[0]");
	ck_error(14, "cohorts[4]: from (2010) is after to (2006)");
	ck_assert_int_eq(count_errors(), 4);
	teardown();
	setup();
	/* Ranges are inclusive: sharing a year is an overlap. */
	load_fails(MIN_CONF "cohorts = (\n"
			    "  { name = \"X\"; from = 1965; to = 1979; },\n"
			    "  { name = \"Y\"; from = 1979; to = 2000; }\n"
			    ");\n");
	ck_error(11, "cohorts[1]: 1979..2000 overlaps \"X\" (1965..1979)");
	ck_assert_int_eq(count_errors(), 1);
	teardown();
	setup();
	load_fails(MIN_CONF "cohorts = ();\n");
	ck_error(9, "cohorts: must list at least one cohort");
}
END_TEST

START_TEST(test_areas)
{
	load_ok(MIN_CONF "model = {\n"
			 "  scale = 5;\n"
			 "  areas = ( { id = \"Cloud.Basics\"; standard = 3; },\n"
			 "            { id = \"ai\"; name = \"Artificial intelligence\"; standard = 5; "
			 "weight = 0; } );\n"
			 "};\n");
	ck_assert_int_eq(cf->scale, 5);
	ck_assert_uint_eq(cf->n_areas, 2);
	ck_assert_str_eq(cf->areas[0].id, "cloud.basics");
	ck_assert_str_eq(cf->areas[0].name, "cloud.basics");
	ck_assert_int_eq(cf->areas[0].standard, 3);
	ck_assert_int_eq(cf->areas[0].weight, 1);
	ck_assert_str_eq(cf->areas[1].name, "Artificial intelligence");
	ck_assert_int_eq(cf->areas[1].weight, 0);
	ck_assert_int_eq(conf_area_index(cf, "ai"), 1);
	ck_assert_int_eq(conf_area_index(cf, "cloud.basics"), 0);
	ck_assert_int_eq(conf_area_index(cf, "CLOUD.BASICS"), 0);
	ck_assert_int_eq(conf_area_index(cf, "digcomp.1"), -1);
	teardown();
	setup();
	load_fails(MIN_CONF "model = { areas = (\n"
			    "  { id = \"a\"; name = \"Tab\\there\"; standard = 1; } ); };\n");
	ck_error(10, "model.areas[0].name: \"Tab\there\" must not contain control characters");
}
END_TEST

START_TEST(test_duplicate_area_ids)
{
	load_fails(MIN_CONF "model = { areas = (\n"
			    "  { id = \"digcomp.1\"; standard = 4; },\n"
			    "  { id = \"DigComp.1\"; standard = 4; },\n"
			    "  { id = \"bad id\"; standard = 4; },\n"
			    "  { id = \"\"; standard = 4; },\n"
			    "  { name = \"no id\"; standard = 4; }\n"
			    "); };\n");
	ck_error(11, "model.areas[1]: the id \"digcomp.1\" is already used by model.areas[0]");
	ck_error(12, "model.areas[2].id: \"bad id\" is not a valid area id (1 to 63 of A-Z a-z 0-9 "
		     ". _ -)");
	ck_error_like(13, "model.areas[3].id: \"\" is not a valid area id");
	ck_error(14, "missing required key model.areas[4].id");
	ck_assert_int_eq(count_errors(), 4);
}
END_TEST

START_TEST(test_standard_above_scale)
{
	load_fails(MIN_CONF "model = {\n"
			    "  scale = 4;\n"
			    "  areas = ( { id = \"a\"; standard = 5; }, { id = \"b\"; standard = 0; },\n"
			    "    { id = \"c\"; } );\n"
			    "};\n");
	ck_error(11, "model.areas[0].standard: 5 is out of range (1..4)");
	ck_error(11, "model.areas[1].standard: 0 is out of range (1..4)");
	ck_error(12, "missing required key model.areas[2].standard");
	ck_assert_int_eq(count_errors(), 3);
	teardown();
	setup();
	/* A scale below the default areas' standard needs areas of its own. */
	load_fails(MIN_CONF "model = { scale = 3; };\n");
	ck_error(9, "model.scale: the default areas have standard 4, above scale 3; define "
		    "model.areas");
	teardown();
	setup();
	load_fails(MIN_CONF "model = { areas = (); };\n");
	ck_error(9, "model.areas: must list at least one area");
}
END_TEST

/* A competence-level model with every key, inline. */
#define FULL_MODEL                                                                        \
	"model = {\n"                                                                     \
	"  scale = 4;\n"                                                                  \
	"  levels = [ \"Novice\", \"Practitioner\", \"Expert\", \"Master\" ];\n"          \
	"  areas = (\n"                                                                   \
	"    { id = \"Cloud\"; name = \"Cloud services\"; description = \"IaaS, SaaS\";\n" \
	"      direction = \"digital\"; standard = 3; weight = 2;\n"                     \
	"      competences = (\n"                                                         \
	"        { id = \"cloud.iaas\"; name = \"Infrastructure\"; standard = 2; },\n"   \
	"        { id = \"CLOUD.saas\"; description = \"Office suites\"; } ); },\n"      \
	"    { id = \"lead.vision\"; direction = \"leadership\"; standard = 2; },\n"      \
	"    { id = \"biz\"; direction = \"business\"; standard = 1; weight = 0;\n"       \
	"      competences = ( { id = \"biz.plan\"; name = \"Planning\"; } ); }\n"       \
	"  );\n"                                                                          \
	"};\n"

START_TEST(test_model_competences)
{
	load_ok(MIN_CONF FULL_MODEL);
	ck_assert_int_eq(cf->scale, 4);
	ck_assert_str_eq(cf->level_names[0], "Novice");
	ck_assert_str_eq(cf->level_names[3], "Master");
	ck_assert_ptr_null(cf->level_names[4]);
	ck_assert_uint_eq(cf->n_areas, 3);
	ck_assert_str_eq(cf->areas[0].id, "cloud");
	ck_assert_str_eq(cf->areas[0].description, "IaaS, SaaS");
	ck_assert_int_eq(cf->areas[0].direction, CONF_DIR_DIGITAL);
	ck_assert_int_eq(cf->areas[1].direction, CONF_DIR_LEADERSHIP);
	ck_assert_int_eq(cf->areas[2].direction, CONF_DIR_BUSINESS);
	ck_assert_ptr_null(cf->areas[1].description);
	ck_assert_int_eq(cf->areas[1].weight, 1);
	ck_assert_uint_eq(cf->n_competences, 3);
	ck_assert_uint_eq(cf->areas[0].first_competence, 0);
	ck_assert_uint_eq(cf->areas[0].n_competences, 2);
	ck_assert_uint_eq(cf->areas[1].n_competences, 0);
	ck_assert_uint_eq(cf->areas[2].first_competence, 2);
	ck_assert_uint_eq(cf->areas[2].n_competences, 1);
	ck_assert_str_eq(cf->competences[0].id, "cloud.iaas");
	ck_assert_str_eq(cf->competences[0].name, "Infrastructure");
	ck_assert_ptr_null(cf->competences[0].description);
	ck_assert_int_eq(cf->competences[0].standard, 2);
	ck_assert_str_eq(cf->competences[1].id, "cloud.saas");
	ck_assert_str_eq(cf->competences[1].name, "cloud.saas");
	ck_assert_str_eq(cf->competences[1].description, "Office suites");
	ck_assert_int_eq(cf->competences[1].standard, 3); /* the area's */
	ck_assert_uint_eq(cf->competences[1].area, 0);
	ck_assert_uint_eq(cf->competences[2].area, 2);
	ck_assert_int_eq(conf_competence_index(cf, "Cloud.SaaS"), 1);
	ck_assert_int_eq(conf_competence_index(cf, "cloud"), -1);
	ck_assert_int_eq(conf_area_index(cf, "cloud.saas"), -1);
	ck_assert_str_eq(conf_direction_name(cf->areas[1].direction), "leadership");
	ck_assert_str_eq(conf_direction_name(CONF_DIR_BUSINESS), "business");
	ck_assert_str_eq(conf_direction_name(CONF_DIR_DIGITAL), "digital");
}
END_TEST

START_TEST(test_model_errors)
{
	load_fails(MIN_CONF "model = {\n"
			    "  scale = 6;\n"
			    "  levels = [ \"a\", \"b\", \"c\" ];\n"
			    "  areas = (\n"
			    "    { id = \"x\"; standard = 3; direction = \"digtal\";\n"
			    "      competences = ( { id = \"y.1\"; }, { id = \"x.1\"; standard = 7; },\n"
			    "        { id = \"x\"; }, { id = \"x.\"; }, { id = \"x.2\"; colour = 1; } ); },\n"
			    "    { id = \"z\"; standard = 2; competences = (); },\n"
			    "    { id = \"X.1\"; standard = 2; },\n"
			    "    { id = \"w\"; standard = 9; competences = ( { id = \"w 1\"; } ); }\n"
			    "  );\n"
			    "};\n");
	ck_error(11, "model.levels: lists 3 names, but model.scale is 6; give one name per level");
	ck_error(13, "model.areas[0].direction: \"digtal\" is not one of \"digital\", "
		     "\"leadership\", \"business\"");
	ck_error(14, "model.areas[0].competences[0].id: \"y.1\" is not below its area \"x\" "
		     "(expected \"x.<name>\")");
	ck_error(14, "model.areas[0].competences[1].standard: 7 is out of range (1..6)");
	ck_error(15, "model.areas[0].competences[2].id: \"x\" is not below its area \"x\" "
		     "(expected \"x.<name>\")");
	ck_error(15, "model.areas[0].competences[2]: the id \"x\" is already used by model.areas[0]");
	ck_error_like(15, "model.areas[0].competences[3].id: \"x.\" is not below its area");
	ck_error(15, "unknown key \"colour\" in group \"model.areas[0].competences[4]\"");
	ck_error(16, "model.areas[1].competences: must list at least one competence (leave the "
		     "key out to assess the area as a whole)");
	ck_error(17, "model.areas[2]: the id \"x.1\" is already used by "
		     "model.areas[0].competences[1]");
	ck_error(18, "model.areas[3].standard: 9 is out of range (1..6)");
	ck_error(18, "model.areas[3].competences[0].id: \"w 1\" is not a valid competence id (1 to "
		     "63 of A-Z a-z 0-9 . _ -)");
	ck_assert_int_eq(count_errors(), 12);
}
END_TEST

START_TEST(test_model_levels)
{
	load_ok(MIN_CONF "model = { scale = 5; areas = ( { id = \"a\"; standard = 5; } ); };\n");
	ck_assert_str_eq(cf->level_names[0], "1");
	ck_assert_str_eq(cf->level_names[4], "5");
	ck_assert_ptr_null(cf->level_names[5]);
	teardown();
	setup();
	load_ok(MIN_CONF "model = { levels = ( \"l1\", \"l2\", \"l3\", \"l4\", \"l5\", \"l6\", "
			 "\"l7\", \"l8\" ); };\n");
	ck_assert_str_eq(cf->level_names[7], "l8");
	ck_assert_uint_eq(cf->n_areas, 5);
	teardown();
	setup();
	load_fails(MIN_CONF "model = {\n"
			    "  levels = [ \"Low\", \"low\", \"a\", \"b\", \"c\", \"d\", \"e\", \"\" ];\n"
			    "};\n"
			    "cohorts = ( { name = \"A\"; from = 1950; to = 1960; } ); model2 = {\n"
			    "  levels = 1; };\n");
	ck_error(10, "model.levels[1]: the name \"low\" is already used by model.levels[0]");
	ck_error(10, "model.levels[7]: \"\" must not be empty");
	ck_error_like(12, "unknown key \"model2\" at top level");
	ck_assert_int_eq(count_errors(), 3);
	teardown();
	setup();
	load_fails(MIN_CONF "model = {\n"
			    "  levels = ( \"a\", 2 );\n"
			    "};\n");
	ck_error(10, "model.levels: lists 2 names, but model.scale is 8 (the default); give one "
		     "name per level");
	ck_error(10, "model.levels[1]: expected a string, got an integer");
	ck_assert_int_eq(count_errors(), 2);
	teardown();
	setup();
	/* A bad scale is reported once; the names are not counted against it. */
	load_fails(MIN_CONF "model = { scale = 0; levels = [ \"a\" ]; };\n");
	ck_error(9, "model.scale: 0 is out of range (1..100)");
	ck_assert_int_eq(count_errors(), 1);
}
END_TEST

START_TEST(test_model_dump_roundtrip)
{
	struct conf *back;
	load_ok(MIN_CONF FULL_MODEL);
	back = dump_and_reload(cf);
	ck_same_conf(cf, back);
	ck_assert_str_eq(back->competences[1].description, "Office suites");
	conf_free(back);
}
END_TEST

/* The directory of the sources, absolute, into buf[PATH_MAX]. */
static const char *abs_top_srcdir(char *buf)
{
	const char *top = getenv("top_srcdir");
	ck_assert_msg(realpath(top && *top ? top : ".", buf) != NULL, "realpath: %s",
		      strerror(errno));
	return buf;
}

START_TEST(test_include_model)
{
	char want[256];
	make_inc_dir(1);
	write_inc("models/m.conf", "scale = 5;\n"
				   "areas = (\n"
				   "  { id = \"a\"; standard = 3; direction = \"leadership\"; }\n"
				   ");\n");
	ck_assert_int_eq(load_inc(MIN_CONF "model = {\n"
					   "  @include \"models/m.conf\"\n"
					   "};\n"),
			 0);
	ck_assert_int_eq(cf->scale, 5);
	ck_assert_uint_eq(cf->n_areas, 1);
	ck_assert_int_eq(cf->areas[0].direction, CONF_DIR_LEADERSHIP);
	conf_free(cf);
	cf = NULL;
	/* Errors in the included file name that file and its line. */
	write_inc("models/bad.conf", "scale = 5;\n"
				     "areas = (\n"
				     "  { id = \"a\"; standard = 6;\n"
				     "    weight = 99999999999; }\n"
				     ");\n");
	ck_assert_int_eq(load_inc(MIN_CONF "model = {\n"
					   "  @include \"models/bad.conf\"\n"
					   "};\n"),
			 -1);
	snprintf(want, sizeof(want), "%s/models/bad.conf:3: model.areas[0].standard: 6 is out of "
		 "range (1..5)", inc_dir);
	ck_assert_msg(strstr(errors, want) != NULL, "no \"%s\" in:\n%s", want, errors);
	snprintf(want, sizeof(want), "%s/models/bad.conf:4: integer 99999999999 is too large",
		 inc_dir);
	ck_assert_msg(strstr(errors, want) != NULL, "no \"%s\" in:\n%s", want, errors);
	ck_assert_int_eq(count_errors(), 2);
}
END_TEST

START_TEST(test_include_errors)
{
	char want[512];
	make_inc_dir(1);
	write_inc("models/syntax.conf", "scale = 5;\nareas = ;\n");
	ck_assert_int_eq(load_inc(MIN_CONF "model = {\n@include \"models/syntax.conf\"\n};\n"), -1);
	snprintf(want, sizeof(want), "%s/models/syntax.conf:2: syntax error", inc_dir);
	ck_assert_msg(strcmp(errors, want) == 0, "got:\n%s", errors);
	free(errors);
	errors = NULL;
	ck_assert_int_eq(load_inc(MIN_CONF "model = {\n"
					   "  @include \"models/none.conf\"\n"
					   "};\n"),
			 -1);
	snprintf(want, sizeof(want), "cannot open include file \"models/none.conf\" "
		 "(%s/models/none.conf: %s)", inc_dir, strerror(ENOENT));
	ck_error(10, want);
	free(errors);
	errors = NULL;
	/* libconfig 1.5 puts the include directory in front of an absolute name. */
	snprintf(want, sizeof(want), MIN_CONF "model = {\n  @include \"%s\"\n};\n", inc_files[0]);
	if (load_inc(want) == -1 && strstr(errors, "give a relative name"))
		ck_error_like(10, "@include names are taken relative to");
}
END_TEST

START_TEST(test_digcomp_model_loads)
{
	char top[PATH_MAX], link_target[PATH_MAX + 32], path[128];
	int digital = 0;
	make_inc_dir(0);
	snprintf(link_target, sizeof(link_target), "%s/contrib/models", abs_top_srcdir(top));
	snprintf(path, sizeof(path), "%s/models", inc_dir);
	ck_assert_int_eq(symlink(link_target, path), 0);
	models_is_link = 1;
	ck_assert_msg(load_inc(MIN_CONF "model = {\n"
					"  @include \"models/digcomp-2.2.conf\"\n"
					"};\n") == 0,
		      "the shipped model does not load:\n%s", errors);
	ck_assert_int_eq(cf->scale, 8);
	ck_assert_str_eq(cf->level_names[0], "Foundation 1");
	ck_assert_str_eq(cf->level_names[2], "Intermediate 3");
	ck_assert_str_eq(cf->level_names[4], "Advanced 5");
	ck_assert_str_eq(cf->level_names[7], "Highly specialised 8");
	ck_assert_uint_eq(cf->n_competences, 21);
	for (size_t a = 0; a < cf->n_areas; a++) {
		const struct conf_area *ar = &cf->areas[a];
		if (ar->direction != CONF_DIR_DIGITAL) {
			ck_assert_uint_eq(ar->n_competences, 0);
			continue;
		}
		digital++;
		snprintf(path, sizeof(path), "digcomp.%d", digital);
		ck_assert_str_eq(ar->id, path);
		for (size_t c = 0; c < ar->n_competences; c++) {
			snprintf(path, sizeof(path), "digcomp.%d.%zu", digital, c + 1);
			ck_assert_str_eq(cf->competences[ar->first_competence + c].id, path);
		}
	}
	ck_assert_int_eq(digital, 5);
	ck_assert_uint_ge(cf->n_areas, 5 + 2);
	ck_assert_uint_eq(cf->areas[0].n_competences, 3);
	ck_assert_uint_eq(cf->areas[1].n_competences, 6);
	ck_assert_uint_eq(cf->areas[2].n_competences, 4);
	ck_assert_uint_eq(cf->areas[3].n_competences, 4);
	ck_assert_uint_eq(cf->areas[4].n_competences, 4);
	ck_assert_str_eq(cf->competences[conf_competence_index(cf, "digcomp.2.5")].name,
			 "Netiquette");
	ck_assert_str_eq(cf->competences[conf_competence_index(cf, "digcomp.3.4")].name,
			 "Programming");
	ck_assert_int_ge(conf_area_index(cf, "lead.vision"), 5);
	ck_assert_int_ge(conf_area_index(cf, "biz.planning"), 5);
	ck_assert_int_eq(cf->areas[conf_area_index(cf, "biz.planning")].direction,
			 CONF_DIR_BUSINESS);
}
END_TEST

START_TEST(test_multiple_errors)
{
	struct conf *sentinel = (struct conf *)&errors;
	cf = sentinel;
	ck_assert_int_eq(load_text("daemon = { interval = 1; }; directory = {\n"
				   "  uri = [ \"ldap://a/\", \"http://b/\" ];\n"
				   "  base = \"example.com\";\n"
				   "  timeout = 99999;\n"
				   "};\n"
				   "participants = { juniors = \"cn=x,dc=example,dc=com\"; };\n"
				   "writeback = { owner = \"two words\"; };\n"),
			 -1);
	ck_assert_ptr_eq(cf, sentinel); /* *out is untouched on failure */
	cf = NULL;
	ck_error(1, "daemon.interval: 1 is out of range (60..604800)");
	ck_error(2, "directory.uri[1]: \"http://b/\" is not an LDAP URI (ldap://, ldaps:// or "
		    "ldapi://)");
	ck_error_like(3, "directory.base: \"example.com\" is not a valid DN");
	ck_error(4, "directory.timeout: 99999 is out of range (1..3600)");
	ck_error(6, "missing required key participants.seniors");
	ck_error_like(7, "writeback.owner: \"two words\" is not a valid owner");
	ck_assert_int_eq(count_errors(), 6);
	/* Sorted by line, although daemon is checked last. */
	ck_assert_ptr_eq(strstr(errors, conf_path), errors);
	ck_assert_ptr_nonnull(strstr(errors, ":1: "));
	ck_assert(strstr(errors, ":1: ") < strstr(errors, ":2: "));
	ck_assert(strstr(errors, ":2: ") < strstr(errors, ":4: "));
	ck_assert(strstr(errors, ":4: ") < strstr(errors, ":7: "));
}
END_TEST

START_TEST(test_syntax_error)
{
	load_fails(MIN_CONF "matching = {\n"
			    "  capacity = ;\n"
			    "};\n");
	ck_error(10, "syntax error");
	ck_assert_int_eq(count_errors(), 1);
	teardown();
	setup();
	load_fails(MIN_CONF "directory = { };\n");
	ck_error(9, "duplicate setting name");
}
END_TEST

START_TEST(test_cannot_open)
{
	char want[128];
	ck_assert_int_eq(conf_load("/nonexistent/mentord.conf", &cf, &errors), -1);
	ck_assert_ptr_null(cf);
	snprintf(want, sizeof(want), "/nonexistent/mentord.conf: cannot open: %s", strerror(ENOENT));
	ck_assert_str_eq(errors, want);
	free(errors);
	errors = NULL;
	ck_assert_int_eq(conf_load("/", &cf, &errors), -1);
	snprintf(want, sizeof(want), "/: cannot open: %s", strerror(EISDIR));
	ck_assert_str_eq(errors, want);
}
END_TEST

START_TEST(test_tls)
{
	load_ok("directory = { uri = [ \"ldaps://a/\", \"LDAPS://b/\" ]; "
		"base = \"dc=example,dc=com\"; };\n" MIN_PARTICIPANTS);
	ck_assert_int_eq(cf->tls, CONF_TLS_LDAPS); /* implied by the scheme */
	teardown();
	setup();
	load_ok("directory = { uri = \"ldapi:///\"; base = \"dc=example,dc=com\"; "
		"tls = \"starttls\"; ca_file = \"/etc/ca.pem\"; };\n" MIN_PARTICIPANTS);
	ck_assert_int_eq(cf->tls, CONF_TLS_STARTTLS);
	ck_assert_str_eq(cf->ca_file, "/etc/ca.pem");
	teardown();
	setup();
	load_fails("directory = {\n uri = [ \"ldaps://a/\", \"ldap://b/\" ];\n"
		   " base = \"dc=example,dc=com\";\n tls = \"ldaps\";\n};\n" MIN_PARTICIPANTS);
	ck_error(4, "directory.tls: \"ldaps\" needs ldaps:// URIs, but \"ldap://b/\" is not one");
	teardown();
	setup();
	load_fails("directory = {\n uri = [ \"ldap://a/\", \"ldaps://b/\" ];\n"
		   " base = \"dc=example,dc=com\";\n tls = \"starttls\";\n};\n" MIN_PARTICIPANTS);
	ck_error_like(4, "directory.tls: \"starttls\" cannot be used with \"ldaps://b/\"");
	teardown();
	setup();
	load_fails("directory = {\n uri = [ \"ldaps://a/\", \"ldap://b/\" ];\n"
		   " base = \"dc=example,dc=com\";\n};\n" MIN_PARTICIPANTS);
	ck_error_like(2, "mix TLS and plain connections");
	teardown();
	setup();
	load_fails("directory = {\n uri = \"ldap://a/\";\n"
		   " base = \"dc=example,dc=com\";\n tls = \"StartTLS\";\n};\n" MIN_PARTICIPANTS);
	ck_error(4, "directory.tls: \"StartTLS\" is not one of \"none\", \"starttls\", \"ldaps\"");
}
END_TEST

/* A TLS client certificate: with its key, over TLS only. */
START_TEST(test_client_certificate)
{
	load_ok("directory = { uri = \"ldaps://a/\"; base = \"dc=example,dc=com\"; sasl_mech = \"EXTERNAL\";\n"
		"  cert_file = \"/etc/mentord/client.pem\"; key_file = \"/etc/mentord/client.key\"; };\n"
		MIN_PARTICIPANTS);
	ck_assert_str_eq(cf->cert_file, "/etc/mentord/client.pem");
	ck_assert_str_eq(cf->key_file, "/etc/mentord/client.key");
	teardown();
	setup();
	load_fails("directory = {\n uri = \"ldap://a/\";\n base = \"dc=example,dc=com\";\n tls = \"starttls\";\n"
		   " cert_file = \"/etc/mentord/client.pem\";\n};\n" MIN_PARTICIPANTS);
	ck_error(5, "directory.cert_file is set but directory.key_file, its private key, is missing");
	ck_assert_int_eq(count_errors(), 1);
	teardown();
	setup();
	load_fails("directory = {\n uri = \"ldap://a/\";\n base = \"dc=example,dc=com\";\n tls = \"starttls\";\n"
		   " key_file = \"/etc/mentord/client.key\";\n};\n" MIN_PARTICIPANTS);
	ck_error(5, "directory.key_file is only used with directory.cert_file, which is missing");
	teardown();
	setup();
	load_fails("directory = {\n uri = \"ldap://a/\";\n base = \"dc=example,dc=com\";\n"
		   " cert_file = \"/etc/mentord/client.pem\";\n key_file = \"/etc/mentord/client.key\";\n};\n"
		   MIN_PARTICIPANTS);
	ck_error(4, "directory.cert_file: a client certificate needs TLS: set directory.tls = \"starttls\" or use "
		    "ldaps:// URIs");
}
END_TEST

START_TEST(test_uri_forms)
{
	load_ok("directory = { uri = ( \"ldap://a/\", \"ldapi://%2fvar%2frun%2fslapd%2fldapi\" ); "
		"base = \"dc=example,dc=com\"; };\n" MIN_PARTICIPANTS);
	ck_assert_uint_eq(cf->n_uris, 2);
	ck_assert_str_eq(cf->uris[1], "ldapi://%2fvar%2frun%2fslapd%2fldapi");
	teardown();
	setup();
	load_fails("directory = {\n uri = [ ];\n base = \"dc=example,dc=com\";\n};\n"
		   "people = {\n};\n" MIN_PARTICIPANTS);
	ck_error(2, "directory.uri: must list at least one URI");
	teardown();
	setup();
	load_fails("directory = {\n uri = \"ldap://a/ ldap://b/\";\n"
		   " base = \"dc=example,dc=com\";\n};\n" MIN_PARTICIPANTS);
	ck_error(2, "directory.uri: \"ldap://a/ ldap://b/\" contains blanks; give several URIs as "
		    "an array, one per string");
	teardown();
	setup();
	load_fails("directory = {\n uri = ( \"ldap://a/\", 636 );\n"
		   " base = \"dc=example,dc=com\";\n};\n" MIN_PARTICIPANTS);
	ck_error(2, "directory.uri[1]: expected a string, got an integer");
}
END_TEST

START_TEST(test_writeback_ou)
{
	load_ok("directory = { uri = \"ldap://a/\"; base = \"DC=Example, DC=com\"; };\n"
		MIN_PARTICIPANTS "writeback = { ou = \"ou=Mentoring,dc=example,dc=com\"; "
				 "owner = \"mentord-test_1.0\"; };\n");
	ck_assert_str_eq(cf->managed_ou, "ou=Mentoring,dc=example,dc=com");
	ck_assert_str_eq(cf->owner, "mentord-test_1.0");
	teardown();
	setup();
	load_fails(MIN_CONF "writeback = {\n"
			    "  ou = \"ou=mentoring,dc=other,dc=com\";\n"
			    "};\n");
	ck_error(10, "writeback.ou: \"ou=mentoring,dc=other,dc=com\" is not below directory.base "
		     "\"dc=example,dc=com\"");
	teardown();
	setup();
	load_fails(MIN_CONF "writeback = { ou = \"dc=example,dc=com\"; };\n");
	ck_error_like(9, "is not below directory.base");
	teardown();
	setup();
	load_fails(MIN_CONF "writeback = { ou = \"ou=m,xdc=example,dc=com\"; };\n");
	ck_error_like(9, "is not below directory.base");
	teardown();
	setup();
	load_fails(MIN_CONF "writeback = { owner = \"\"; };\n");
	ck_error_like(9, "writeback.owner: \"\" is not a valid owner");
}
END_TEST

START_TEST(test_filter_and_attributes)
{
	load_ok(MIN_CONF "people = {\n"
			 "  base = \"ou=people,dc=example,dc=com\";\n"
			 "  filter = \"(&(objectClass=person)(!(employeeType=contractor)))\";\n"
			 "  attributes = { id = \"objectGUID\"; mail = \"2.5.4.3\"; "
			 "name = \"cn;lang-en\"; };\n"
			 "};\n");
	ck_assert_str_eq(cf->people_base, "ou=people,dc=example,dc=com");
	ck_assert_str_eq(cf->people_filter, "(&(objectClass=person)(!(employeeType=contractor)))");
	ck_assert_str_eq(cf->attr.id, "objectGUID");
	ck_assert_str_eq(cf->attr.mail, "2.5.4.3");
	ck_assert_str_eq(cf->attr.name, "cn;lang-en");
	ck_assert_str_eq(cf->attr.title, "title");
	teardown();
	setup();
	load_fails(MIN_CONF "people = {\n"
			    "  filter = \"(objectClass=person))(\";\n"
			    "  attributes = {\n"
			    "    id = \"1entryUUID\";\n"
			    "    mail = \"mail;\";\n"
			    "    title = \"01.2\";\n"
			    "  };\n"
			    "};\n"
			    "participants2 = { };\n");
	ck_error(10, "people.filter: \"(objectClass=person))(\" is not an LDAP filter (unbalanced "
		     "parentheses)");
	ck_error_like(12, "people.attributes.id: \"1entryUUID\" is not an attribute description");
	ck_error_like(13, "people.attributes.mail: \"mail;\" is not an attribute description");
	ck_error_like(14, "people.attributes.title: \"01.2\" is not an attribute description");
	ck_error(17, "unknown key \"participants2\" at top level; did you mean participants?");
	ck_assert_int_eq(count_errors(), 5);
}
END_TEST

START_TEST(test_filter_shapes)
{
	static const char *const bad[] = { "objectClass=person", "(objectClass=person",
					   "(a=b)(c=d)", "(&())", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[1024];
		snprintf(text, sizeof(text), MIN_CONF "people = { filter = \"%s\"; };\n", bad[i]);
		load_fails(text);
		ck_error_like(9, "is not an LDAP filter");
		teardown();
		setup();
	}
}
END_TEST

START_TEST(test_dn_checks)
{
	load_fails("directory = {\n uri = \"ldap://a/\";\n base = \" dc=example,dc=com\";\n"
		   " bind_dn = \"cn=x,,dc=example,dc=com\";\n password_file = \"/p\";\n};\n"
		   "participants = {\n juniors = \"\";\n seniors = \"=x,dc=com\";\n};\n"
		   "people = { base = \"people\"; };\n");
	ck_error(3, "directory.base: \" dc=example,dc=com\" is not a valid DN (leading or trailing "
		    "blanks)");
	ck_error(4, "directory.bind_dn: \"cn=x,,dc=example,dc=com\" is not a valid DN (expected "
		    "attribute=value pairs separated by commas)");
	ck_error(8, "participants.juniors: \"\" must not be empty");
	ck_error_like(9, "participants.seniors: \"=x,dc=com\" is not a valid DN");
	ck_error_like(11, "people.base: \"people\" is not a valid DN");
	ck_assert_int_eq(count_errors(), 5);
	teardown();
	setup();
	load_ok("directory = { uri = \"ldap://a/\"; base = \"o=Acme\\\\, Inc.,c=US\"; };\n"
		"participants = { juniors = \"cn=J+uid=j,o=Acme\\\\, Inc.,c=US\"; "
		"seniors = \"cn=S,o=Acme\\\\, Inc.,c=US\"; };\n");
	ck_assert_str_eq(cf->base_dn, "o=Acme\\, Inc.,c=US");
	ck_assert_str_eq(cf->managed_ou, "ou=mentoring,o=Acme\\, Inc.,c=US");
}
END_TEST

START_TEST(test_juniors_differ_from_seniors)
{
	load_fails(MIN_DIRECTORY "participants = {\n"
				 "  juniors = \"cn=Mentoring,ou=groups,dc=example,dc=com\";\n"
				 "  seniors = \"CN=mentoring, ou=groups, dc=example, dc=com\";\n"
				 "};\n");
	ck_error(7, "participants.seniors: must be a different group from participants.juniors");
	ck_assert_int_eq(count_errors(), 1);
}
END_TEST

START_TEST(test_matching_rules_defaults)
{
	struct conf *d = conf_defaults();
	int minutes = 0;
	ck_assert_ptr_null(d->trained_group);
	ck_assert_ptr_null(d->excluded_group);
	ck_assert_str_eq(d->attr.avoid, "mentoringAvoid");
	ck_assert_int_eq(d->seniority_gap, 0);
	ck_assert_int_eq(d->max_tz_minutes, -1);
	ck_assert_uint_eq(d->n_timezones, 0);
	ck_assert_int_eq(d->bonus_cross_department, 2);
	ck_assert_int_eq(d->bonus_same_tz, 2);
	ck_assert_int_eq(d->bonus_near_tz, 1);
	ck_assert_int_eq(d->near_tz_minutes, 180);
	ck_assert_int_eq(d->bonus_stability, 5);
	ck_assert_int_eq(d->cooldown_days, 0);
	ck_assert_int_eq(d->publish, CONF_PUBLISH_AUTO);
	ck_assert_int_eq(conf_timezone_of(d, "Berlin", &minutes), -1);
	conf_free(d);
}
END_TEST

START_TEST(test_matching_rules)
{
	int minutes = 0;
	load_ok(MIN_DIRECTORY "participants = {\n"
		"  juniors = \"cn=j,dc=example,dc=com\"; seniors = \"cn=s,dc=example,dc=com\";\n"
		"  trained_mentors = \"cn=t,dc=example,dc=com\"; excluded = \"cn=x,dc=example,dc=com\";\n"
		"};\n"
		"people = { attributes = { avoid = \"x-doNotPair\"; }; };\n"
		"matching = {\n"
		"  seniority_gap = 5; max_timezone_hours = 6; cooldown_days = 90; publish = \"manual\";\n"
		"  bonus = { cross_department = 0; same_timezone = 7; near_timezone = 3; near_hours = 2;\n"
		"            stability = 1000; };\n"
		"  timezones = ( { location = \"Berlin\"; offset = \"+01:00\"; },\n"
		"                { location = \"New York\"; offset = \"-05:00\"; },\n"
		"                { location = \"Mumbai\"; offset = \"+05:30\"; },\n"
		"                { location = \"Baker Island\"; offset = \"-12:00\"; },\n"
		"                { location = \"Kiritimati\"; offset = \"+14:00\"; } );\n"
		"};\n");
	ck_assert_str_eq(cf->trained_group, "cn=t,dc=example,dc=com");
	ck_assert_str_eq(cf->excluded_group, "cn=x,dc=example,dc=com");
	ck_assert_str_eq(cf->attr.avoid, "x-doNotPair");
	ck_assert_int_eq(cf->seniority_gap, 5);
	ck_assert_int_eq(cf->max_tz_minutes, 360);
	ck_assert_int_eq(cf->cooldown_days, 90);
	ck_assert_int_eq(cf->publish, CONF_PUBLISH_MANUAL);
	ck_assert_int_eq(cf->bonus_cross_department, 0);
	ck_assert_int_eq(cf->bonus_same_tz, 7);
	ck_assert_int_eq(cf->bonus_near_tz, 3);
	ck_assert_int_eq(cf->near_tz_minutes, 120);
	ck_assert_int_eq(cf->bonus_stability, 1000);
	ck_assert_uint_eq(cf->n_timezones, 5);
	ck_assert_int_eq(conf_timezone_of(cf, "new york", &minutes), 0);
	ck_assert_int_eq(minutes, -300);
	ck_assert_int_eq(conf_timezone_of(cf, "MUMBAI", &minutes), 0);
	ck_assert_int_eq(minutes, 330);
	ck_assert_int_eq(conf_timezone_of(cf, "Baker Island", &minutes), 0);
	ck_assert_int_eq(minutes, -720);
	ck_assert_int_eq(conf_timezone_of(cf, "Kiritimati", &minutes), 0);
	ck_assert_int_eq(minutes, 840);
	ck_assert_int_eq(conf_timezone_of(cf, "Paris", &minutes), -1);
	ck_assert_int_eq(conf_timezone_of(cf, NULL, &minutes), -1);
}
END_TEST

START_TEST(test_matching_rules_errors)
{
	load_fails(MIN_CONF "matching = {\n"                                                   /* 9 */
		   "  seniority_gap = 61; max_timezone_hours = 27; cooldown_days = -1;\n"          /* 10 */
		   "  publish = \"later\";\n"                                                      /* 11 */
		   "  bonus = { stabilty = 1; cross_department = -1; near_hours = 27; };\n"        /* 12 */
		   "  timezones = ( { location = \"Berlin\"; offset = \"1:00\"; },\n"            /* 13 */
		   "    { location = \"Paris\"; offset = \"+15:00\"; },\n"                       /* 14 */
		   "    { location = \"Rome\"; offset = \"+01:60\"; },\n"                        /* 15 */
		   "    { location = \"London\"; offset = \"+00:00\"; },\n"                      /* 16 */
		   "    { location = \"LONDON\"; offset = \"+00:00\"; },\n"                      /* 17 */
		   "    { location = \"Oslo\"; },\n"                                               /* 18 */
		   "    { location = \"\"; offset = \"+01:00\"; },\n"                              /* 19 */
		   "    \"Madrid\" );\n"                                                            /* 20 */
		   "};\n");
	ck_error(10, "matching.seniority_gap: 61 is out of range (0..60)");
	ck_error(10, "matching.max_timezone_hours: 27 is out of range (0..26)");
	ck_error(10, "matching.cooldown_days: -1 is out of range (0..3650)");
	ck_error(11, "matching.publish: \"later\" is not one of \"auto\", \"manual\"");
	ck_error(12, "unknown key \"stabilty\" in group \"matching.bonus\"; did you mean stability?");
	ck_error(12, "matching.bonus.cross_department: -1 is out of range (0..1000)");
	ck_error(12, "matching.bonus.near_hours: 27 is out of range (0..26)");
	ck_error(13, "matching.timezones[0].offset: \"1:00\" is not a UTC offset of the form +HH:MM or -HH:MM");
	ck_error(14, "matching.timezones[1].offset: \"+15:00\" is outside -12:00 .. +14:00");
	ck_error(15, "matching.timezones[2].offset: \"+01:60\" is not a UTC offset of the form +HH:MM or -HH:MM");
	ck_error(17, "matching.timezones[4].location: \"LONDON\" is listed twice");
	ck_error(18, "missing required key matching.timezones[5].offset");
	ck_error(19, "matching.timezones[6].location: \"\" must not be empty");
	ck_error(20, "matching.timezones[7]: expected a group, got a string");
	ck_assert_int_eq(count_errors(), 14);
}
END_TEST

START_TEST(test_matching_timezone_limit_needs_table)
{
	load_fails(MIN_CONF "matching = {\n"
		   "  max_timezone_hours = 3;\n"
		   "};\n");
	ck_error(10, "matching.max_timezone_hours: needs matching.timezones (the time zone of each location)");
	ck_assert_int_eq(count_errors(), 1);
	/* 0 hours is a limit too: only the same time zone */
	forget_load();
	load_ok(MIN_CONF "matching = { max_timezone_hours = 0; timezones = ();\n};\n");
	ck_assert_int_eq(cf->max_tz_minutes, 0);
}
END_TEST

START_TEST(test_participant_groups_differ)
{
	load_fails(MIN_DIRECTORY "participants = {\n"
		   "  juniors = \"cn=j,dc=example,dc=com\"; seniors = \"cn=s,dc=example,dc=com\";\n"
		   "  trained_mentors = \"CN=J, dc=example, dc=com\";\n"
		   "  excluded = \"cn=s,dc=example,dc=com\";\n"
		   "};\n");
	ck_error(7, "participants.trained_mentors: must be a different group from participants.juniors");
	ck_error(8, "participants.excluded: must be a different group from participants.seniors");
	ck_assert_int_eq(count_errors(), 2);
	forget_load();
	load_fails(MIN_DIRECTORY "participants = {\n"
		   "  juniors = \"cn=j,dc=example,dc=com\"; seniors = \"cn=s,dc=example,dc=com\";\n"
		   "  trained_mentors = \"cn=t,dc=example,dc=com\";\n"
		   "  excluded = \"cn=T,dc=example,dc=com\";\n"
		   "  member_attribute = \"member\"; };\n");
	ck_error(8, "participants.excluded: must be a different group from participants.trained_mentors");
	forget_load();
	load_fails(MIN_DIRECTORY "participants = {\n"
		   "  juniors = \"cn=j,dc=example,dc=com\"; seniors = \"cn=s,dc=example,dc=com\";\n"
		   "  trained_mentors = \"not a dn\"; };\n");
	ck_error_like(7, "participants.trained_mentors: \"not a dn\" is not a valid DN");
}
END_TEST

START_TEST(test_matching_rules_dump_roundtrip)
{
	struct conf *back;
	load_ok(MIN_DIRECTORY "participants = { juniors = \"cn=j,dc=example,dc=com\";\n"
		"  seniors = \"cn=s,dc=example,dc=com\"; trained_mentors = \"cn=t,dc=example,dc=com\";\n"
		"  excluded = \"cn=x,dc=example,dc=com\"; };\n"
		"people = { attributes = { avoid = \"x-avoid\"; }; };\n"
		"matching = { seniority_gap = 3; max_timezone_hours = 0; cooldown_days = 1; publish = \"manual\";\n"
		"  bonus = { cross_department = 9; same_timezone = 8; near_timezone = 7; near_hours = 26;"
		" stability = 0; };\n"
		"  timezones = ( { location = \"St. John\\\"s\"; offset = \"-03:30\"; },\n"
		"    { location = \"UTC\"; offset = \"+00:00\"; } ); };\n");
	ck_assert_str_eq(cf->timezones[0].location, "St. John\"s");
	ck_assert_int_eq(cf->timezones[0].offset, -210);
	back = dump_and_reload(cf);
	ck_same_conf(cf, back);
	conf_free(back);
}
END_TEST

START_TEST(test_daemon_keys)
{
	load_ok(MIN_CONF "daemon = {\n"
			 "  jitter = 86400;\n"
			 "  metrics_file = \"/var/lib/prometheus/node-exporter/mentord.prom\";\n"
			 "};\n");
	ck_assert_int_eq(cf->interval, 3600);
	ck_assert_int_eq(cf->jitter, 86400);
	ck_assert_str_eq(cf->metrics_file, "/var/lib/prometheus/node-exporter/mentord.prom");
}
END_TEST

START_TEST(test_daemon_keys_invalid)
{
	load_fails(MIN_CONF "daemon = {\n"
			    "  jitter = 86401;\n"
			    "  metrics_file = \"mentord.prom\";\n"
			    "};\n"
			    "daemon2 = { jitter = -1; metrics_file = \"/var/lib/x/mentord.txt\"; };\n");
	ck_error(10, "daemon.jitter: 86401 is out of range (0..86400)");
	ck_error(11, "daemon.metrics_file: \"mentord.prom\" is not an absolute path");
	ck_error(13, "unknown key \"daemon2\" at top level; did you mean daemon?");
	ck_assert_int_eq(count_errors(), 3);
}
END_TEST

START_TEST(test_daemon_metrics_name)
{
	load_fails(MIN_CONF "daemon = { jitter = -1; metrics_file = \"/var/lib/x/.prom\"; };\n");
	ck_error(9, "daemon.jitter: -1 is out of range (0..86400)");
	ck_error(9, "daemon.metrics_file: \"/var/lib/x/.prom\" does not end in \".prom\" "
		    "(the textfile collector reads only *.prom files)");
	ck_assert_int_eq(count_errors(), 2);
}
END_TEST

/* Whether key is in the NULL-terminated list keys. */
static int listed(const char *const *keys, const char *key)
{
	for (; *keys; keys++)
		if (strcmp(*keys, key) == 0)
			return 1;
	return 0;
}

START_TEST(test_conf_keys_list)
{
	static const char *const expected[] = {
		"directory.uri", "directory.page_size", "directory.password_file", "people.base", "people.full_sync_interval",
		"people.attributes.birth_year", "people.attributes.capacity",
		"participants.member_attribute", "cohorts.name", "cohorts.from", "cohorts.to",
		"model.scale", "model.levels", "model.areas.id", "model.areas.weight",
		"model.areas.description", "model.areas.direction", "model.areas.competences.id",
		"model.areas.competences.name", "model.areas.competences.description",
		"model.areas.competences.standard", "matching.min_score",
		"writeback.max_delete_percent", "state.database", "daemon.interval", "daemon.jitter",
		"daemon.metrics_file",
	};
	const char *const *keys = conf_keys();
	size_t n = 0;
	ck_assert_ptr_eq(keys, conf_keys());
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		ck_assert_msg(listed(keys, expected[i]), "conf_keys() lacks %s", expected[i]);
	/* Leaves only: no groups, no lists, no top-level names, no duplicates. */
	ck_assert(!listed(keys, "people.attributes"));
	ck_assert(!listed(keys, "model.areas"));
	ck_assert(!listed(keys, "model.areas.competences"));
	ck_assert(!listed(keys, "cohorts"));
	ck_assert(!listed(keys, "directory"));
	for (; keys[n]; n++) {
		ck_assert_msg(strchr(keys[n], '.') != NULL, "%s has no group", keys[n]);
		for (size_t j = 0; j < n; j++)
			ck_assert_msg(strcmp(keys[j], keys[n]) != 0, "%s listed twice", keys[n]);
	}
	ck_assert_uint_ge(n, sizeof(expected) / sizeof(expected[0]));
}
END_TEST

/* Whether the first i + 1 parts of a key name a list of groups (cohorts, model.areas, ...). */
static int names_list(char *const *parts, size_t i)
{
	return (i == 0 && strcmp(parts[0], "cohorts") == 0) ||
	       (i == 1 && strcmp(parts[0], "model") == 0 && strcmp(parts[1], "areas") == 0) ||
	       (i == 2 && strcmp(parts[0], "model") == 0 && strcmp(parts[2], "competences") == 0);
}

/* Write into buf a one-line file that sets the leaf group.key to an empty group. */
static void set_key_text(char *buf, size_t size, const char *key)
{
	char path[128], *parts[8];
	size_t n = 0, len = 0;
	snprintf(path, sizeof(path), "%s", key);
	for (char *p = strtok(path, "."); p && n < 8; p = strtok(NULL, "."))
		parts[n++] = p;
	ck_assert_uint_ge(n, 1);
	for (size_t i = 0; i + 1 < n; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s = %s", parts[i],
					names_list(parts, i) ? "( { " : "{ ");
	len += (size_t)snprintf(buf + len, size - len, "%s = { };", parts[n - 1]);
	for (size_t i = n - 1; i-- > 0;)
		len += (size_t)snprintf(buf + len, size - len, " }%s;",
					names_list(parts, i) ? " )" : "");
	ck_assert_uint_lt(len, size);
}

START_TEST(test_conf_keys_accepted)
{
	char text[512];
	for (const char *const *key = conf_keys(); *key; key++) {
		set_key_text(text, sizeof(text), *key);
		ck_assert_int_eq(load_text(text), -1); /* an empty group is never a valid value */
		ck_assert_msg(strstr(errors, "unknown key") == NULL, "%s: %s\n%s", *key, text,
			      errors);
		ck_assert_msg(strstr(errors, "expected") != NULL, "%s: %s\n%s", *key, text,
			      errors);
		free(errors);
		errors = NULL;
		unlink(conf_path);
	}
	/* The same text for a key that is not there is rejected as unknown. */
	set_key_text(text, sizeof(text), "daemon.jiter");
	load_fails(text);
	ck_error(1, "unknown key \"jiter\" in group \"daemon\"; did you mean jitter?");
}
END_TEST

START_TEST(test_dump_roundtrip)
{
	struct conf *back;
	load_ok("directory = {\n"
		"  uri = [ \"ldaps://ldap1.example.com/\", \"ldaps://ldap2.example.com:636/\" ];\n"
		"  base = \"dc=example,dc=com\";\n"
		"  bind_dn = \"cn=mentord,ou=services,dc=example,dc=com\";\n"
		"  password_file = \"/etc/mentord/bind pw\";\n"
		"  ca_file = \"/etc/ssl/odd\\nname.pem\";\n"
		"  cert_file = \"/etc/mentord/client.pem\"; key_file = \"/etc/mentord/client.key\";\n"
		"  timeout = 30; idle_timeout = 0; page_size = 1000;\n"
		"};\n"
		"people = { base = \"ou=people,dc=example,dc=com\"; filter = \"(uid=*)\"; full_sync_interval = 3600;\n"
		"  attributes = { id = \"uid\"; capacity = \"x-capacity;binary\"; }; };\n"
		"participants = { juniors = \"cn=j,dc=example,dc=com\"; "
		"seniors = \"cn=s,dc=example,dc=com\"; member_attribute = \"uniqueMember\"; };\n"
		"cohorts = ( { name = \"Quote \\\" and \\\\ back\"; from = 1990; to = 1999; },\n"
		"  { name = \"Older\"; from = 1900; to = 1989; } );\n"
		"model = { scale = 10; areas = ( { id = \"B\"; standard = 10; weight = 1000; },\n"
		"  { id = \"a\"; name = \"Cloud & \\\"AI\\\"\"; standard = 1; weight = 0; } ); };\n"
		"matching = { capacity = 0; mentors_per_senior = 3; min_score = 1000000; threads = 2; };\n"
		"writeback = { ou = \"ou=pairs,ou=hr,dc=example,dc=com\"; owner = \"x.y\"; "
		"max_delete_percent = 0; };\n"
		"state = { database = \"/tmp/m.db\"; };\n"
		"daemon = { interval = 604800; jitter = 0;\n"
		"  metrics_file = \"/var/lib/node exporter/mentord.prom\"; };\n");
	ck_assert_int_eq(cf->tls, CONF_TLS_LDAPS);
	ck_assert_int_eq(cf->jitter, 0);
	ck_assert_int_eq(cf->full_sync_interval, 3600);
	ck_assert_str_eq(cf->cohorts[1].name, "Quote \" and \\ back");
	ck_assert_str_eq(cf->ca_file, "/etc/ssl/odd\nname.pem");
	back = dump_and_reload(cf);
	ck_same_conf(cf, back);
	ck_assert_str_eq(back->areas[1].name, "Cloud & \"AI\"");
	conf_free(back);
}
END_TEST

START_TEST(test_dump_roundtrip_minimal)
{
	struct conf *back;
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	load_ok(MIN_CONF);
	back = dump_and_reload(cf);
	ck_same_conf(cf, back);
	conf_free(back);
	/* Every group is in the dump. */
	mem = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(mem);
	conf_dump(cf, mem);
	fclose(mem);
	for (const char *g = "directory\0people\0attributes\0participants\0cohorts\0model\0"
			     "areas\0matching\0writeback\0state\0daemon\0";
	     *g; g += strlen(g) + 1) {
		char want[64];
		snprintf(want, sizeof(want), "%s = ", g);
		ck_assert_msg(strstr(text, want) != NULL, "dump lacks %s:\n%s", g, text);
	}
	ck_assert_ptr_null(strstr(text, "password ="));
	free(text);
}
END_TEST

/* The map stays exact through growth and deletes (the probe runs are repaired after each delete). */
START_TEST(strmap_put_get_del)
{
	enum { N = 50000 };
	struct strmap *m = strmap_new(16);
	char key[64];
	size_t v;
	for (size_t i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "%08zx-4e21-a1b2-%012zu", i * 2654435761u, i);
		ck_assert_int_eq(strmap_put(m, key, i), 0);
	}
	ck_assert_uint_eq(strmap_count(m), N);
	for (size_t i = 0; i < N; i += 3) {
		snprintf(key, sizeof(key), "%08zx-4e21-a1b2-%012zu", i * 2654435761u, i);
		ck_assert_int_eq(strmap_del(m, key), 0);
		ck_assert_int_eq(strmap_del(m, key), -1);
	}
	for (size_t i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "%08zx-4e21-a1b2-%012zu", i * 2654435761u, i);
		if (i % 3 == 0) {
			ck_assert_int_eq(strmap_get(m, key, &v), -1);
		} else {
			ck_assert_int_eq(strmap_get(m, key, &v), 0);
			ck_assert_uint_eq(v, i);
		}
	}
	ck_assert_uint_eq(strmap_count(m), N - (N + 2) / 3);
	ck_assert_int_eq(strmap_put(m, "", 7), 0);
	ck_assert_int_eq(strmap_put(m, "", 8), 1);
	ck_assert_int_eq(strmap_get(m, "", &v), 0);
	ck_assert_uint_eq(v, 8);
	strmap_free(m);
}
END_TEST

/* The fast hash: every byte and the length count, the tail too; NULL is not the empty string. */
START_TEST(hash_bytes_spreads)
{
	char a[40], b[40];
	memset(a, 'x', sizeof(a));
	for (size_t len = 0; len < sizeof(a); len++)
		for (size_t at = 0; at < len; at++) {
			memcpy(b, a, sizeof(b));
			b[at] ^= 1;
			ck_assert_uint_ne(hash_bytes(a, len, 0), hash_bytes(b, len, 0));
			ck_assert_uint_eq(hash_bytes(a, len, 0), hash_bytes(a, len, 0));
		}
	for (size_t len = 0; len + 1 < sizeof(a); len++)
		ck_assert_uint_ne(hash_bytes(a, len, 0), hash_bytes(a, len + 1, 0));
	ck_assert_uint_ne(hash_bytes(a, 8, 0), hash_bytes(a, 8, 1));
	ck_assert_uint_ne(hash_str(NULL, 0), hash_str("", 0));
	ck_assert_uint_ne(hash_str("ab", 0), hash_str("ba", 0));
	/* low bits, which pick the slot in a map, differ for keys that differ in one place */
	ck_assert_uint_ne(hash_str("u000001", 0) & 0xffff, hash_str("u000002", 0) & 0xffff);
}
END_TEST

static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_full_sync_interval);
	tcase_add_test(tc, test_example_loads);
	tcase_add_test(tc, test_minimal_gets_defaults);
	tcase_add_test(tc, test_unknown_top_level);
	tcase_add_test(tc, test_unknown_nested);
	tcase_add_test(tc, test_wrong_type);
	tcase_add_test(tc, test_out_of_range);
	tcase_add_test(tc, test_wide_integer_in_range_key);
	tcase_add_test(tc, test_wide_integer_false_positives);
	tcase_add_test(tc, test_missing_required);
	tcase_add_test(tc, test_password_rejected);
	tcase_add_test(tc, test_bind_needs_password_file);
	tcase_add_test(tc, test_cohorts);
	tcase_add_test(tc, test_cohorts_overlap);
	tcase_add_test(tc, test_areas);
	tcase_add_test(tc, test_duplicate_area_ids);
	tcase_add_test(tc, test_standard_above_scale);
	tcase_add_test(tc, test_model_competences);
	tcase_add_test(tc, test_model_errors);
	tcase_add_test(tc, test_model_levels);
	tcase_add_test(tc, test_model_dump_roundtrip);
	tcase_add_test(tc, test_include_model);
	tcase_add_test(tc, test_include_errors);
	tcase_add_test(tc, test_digcomp_model_loads);
	tcase_add_test(tc, test_multiple_errors);
	tcase_add_test(tc, test_syntax_error);
	tcase_add_test(tc, test_cannot_open);
	tcase_add_test(tc, test_tls);
	tcase_add_test(tc, test_client_certificate);
	tcase_add_test(tc, test_uri_forms);
	tcase_add_test(tc, test_writeback_ou);
	tcase_add_test(tc, test_filter_and_attributes);
	tcase_add_test(tc, test_filter_shapes);
	tcase_add_test(tc, test_dn_checks);
	tcase_add_test(tc, test_juniors_differ_from_seniors);
	tcase_add_test(tc, test_matching_rules_defaults);
	tcase_add_test(tc, test_matching_rules);
	tcase_add_test(tc, test_matching_rules_errors);
	tcase_add_test(tc, test_matching_timezone_limit_needs_table);
	tcase_add_test(tc, test_participant_groups_differ);
	tcase_add_test(tc, test_matching_rules_dump_roundtrip);
	tcase_add_test(tc, test_daemon_keys);
	tcase_add_test(tc, test_daemon_keys_invalid);
	tcase_add_test(tc, test_daemon_metrics_name);
	tcase_add_test(tc, test_conf_keys_list);
	tcase_add_test(tc, test_conf_keys_accepted);
	tcase_add_test(tc, test_dump_roundtrip);
	tcase_add_test(tc, test_dump_roundtrip_minimal);
	suite_add_tcase(s, tc);
	tc = tcase_create("util");
	tcase_add_test(tc, strmap_put_get_del);
	tcase_add_test(tc, hash_bytes_spreads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(conf_suite());
}
