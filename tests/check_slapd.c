/*
 * Integration tests against a real slapd: each test starts its own server on
 * a free loopback port with the project schema and a generated company, runs
 * the real mentord binary, and checks the directory with LDAP searches.
 */
#include "config.h"

#include <check.h>
#include <ldap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/wait.h>

#include "conf.h"
#include "cycle.h"
#include "lib/check_main.h"
#include "lib/testdir.h"
#include "lib/testutil.h"

/* The first value of attr of the entry at dn, as a new string, or NULL. */
static char *value_of(LDAP *ld, const char *dn, const char *attr)
{
	char *attrs[] = {(char *)attr, NULL}, *out = NULL;
	LDAPMessage *res = search(ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs), *e;
	struct berval **v;
	if ((e = ldap_first_entry(ld, res)) && (v = ldap_get_values_len(ld, e, attr))) {
		out = strndup(v[0]->bv_val, v[0]->bv_len);
		ldap_value_free_len(v);
	}
	ldap_msgfree(res);
	return out;
}

/* Non-zero if dn is a member of group. */
static int is_member(LDAP *ld, const char *group, const char *dn)
{
	char filter[1024];
	snprintf(filter, sizeof(filter), "(member=%s)", dn);
	char *attrs[] = {"1.1", NULL};
	LDAPMessage *res = search(ld, group, LDAP_SCOPE_BASE, filter, attrs);
	int n = ldap_count_entries(ld, res);
	ldap_msgfree(res);
	return n;
}

/* Birth year of a person (the generator sets it on everyone we pair). */
static int birth_year(LDAP *ld, const char *dn)
{
	char *v = value_of(ld, dn, "mentoringBirthYear");
	int y = v ? atoi(v) : 0;
	free(v);
	return y;
}

/* Cohort index per the default table: 0 boomers .. 3 Z, -1 none. */
static int cohort(int year)
{
	static const int bounds[][2] = {{1946, 1964}, {1965, 1979}, {1980, 2000}, {2001, 2010}};
	for (int i = 0; i < 4; i++)
		if (year >= bounds[i][0] && year <= bounds[i][1])
			return i;
	return -1;
}

/* Non-zero if boss is a manager of dn at any depth. */
static int manages(LDAP *ld, const char *boss, const char *dn)
{
	char *cur = strdup(dn);
	int found = 0;
	for (int depth = 0; cur && depth < 64 && !found; depth++) {
		char *next = value_of(ld, cur, "manager");
		found = next && strcasecmp(next, boss) == 0;
		free(cur);
		cur = next;
	}
	free(cur);
	return found;
}

struct pair {
	char *mentor, *mentee;
};

/* All pair groups as (mentor, mentee); checks member = both. */
static size_t read_pairs(LDAP *ld, struct pair *out, size_t max)
{
	char *attrs[] = {"mentoringMentor", "mentoringMentee", "member", "mentoringOwner", NULL};
	LDAPMessage *res = search(ld, PAIRS_OU, LDAP_SCOPE_ONELEVEL, "(objectClass=mentoringPair)", attrs);
	size_t n = 0;
	for (LDAPMessage *e = ldap_first_entry(ld, res); e && n < max; e = ldap_next_entry(ld, e)) {
		struct berval **m = ldap_get_values_len(ld, e, "mentoringMentor");
		struct berval **s = ldap_get_values_len(ld, e, "mentoringMentee");
		struct berval **mem = ldap_get_values_len(ld, e, "member");
		struct berval **own = ldap_get_values_len(ld, e, "mentoringOwner");
		ck_assert(m && s && mem && own);
		ck_assert_int_eq(ldap_count_values_len(mem), 2);
		ck_assert_int_eq(ldap_count_values_len(own), 1);
		ck_assert_str_eq(own[0]->bv_val, "mentord");
		out[n].mentor = strndup(m[0]->bv_val, m[0]->bv_len);
		out[n].mentee = strndup(s[0]->bv_val, s[0]->bv_len);
		n++;
		ldap_value_free_len(m);
		ldap_value_free_len(s);
		ldap_value_free_len(mem);
		ldap_value_free_len(own);
	}
	ldap_msgfree(res);
	return n;
}

static void free_pairs(struct pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].mentor);
		free(p[i].mentee);
	}
}

#define MAXPAIRS 4096
static struct pair pairs[MAXPAIRS];

START_TEST(cycle_writes_pairs_within_the_constraints)
{
	LDAP *ld;
	size_t n;
	start_company(600);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "cycle ok"));
	ld = admin();
	n = read_pairs(ld, pairs, MAXPAIRS);
	ck_assert_uint_gt(n, 20);
	for (size_t i = 0; i < n; i++) {
		int load = 0;
		ck_assert_msg(is_member(ld, JUNIORS, pairs[i].mentor), "%s is no junior", pairs[i].mentor);
		ck_assert_msg(is_member(ld, SENIORS, pairs[i].mentee), "%s is no senior", pairs[i].mentee);
		ck_assert_int_gt(cohort(birth_year(ld, pairs[i].mentor)), cohort(birth_year(ld, pairs[i].mentee)));
		ck_assert_int_ge(cohort(birth_year(ld, pairs[i].mentee)), 0);
		ck_assert(!manages(ld, pairs[i].mentor, pairs[i].mentee));
		ck_assert(!manages(ld, pairs[i].mentee, pairs[i].mentor));
		for (size_t k = 0; k < n; k++) {
			load += strcasecmp(pairs[k].mentor, pairs[i].mentor) == 0;
			if (k != i)
				ck_assert_msg(strcasecmp(pairs[k].mentee, pairs[i].mentee) != 0,
					      "%s has two mentors", pairs[i].mentee);
		}
		char *cap = value_of(ld, pairs[i].mentor, "mentoringCapacity");
		ck_assert_int_le(load, cap ? atoi(cap) : 3);
		free(cap);
	}
	/* the aggregate groups hold exactly the paired people */
	ck_assert_int_eq(count(ld, MENTEES, "(objectClass=groupOfNames)"), 1);
	/* nothing outside the managed OU was written by the service account */
	ck_assert_int_eq(count(ld, SUFFIX, "(&(modifiersName=" SERVICE ")(!(entryDN:dnSubtreeMatch:=ou=mentoring," SUFFIX ")))"), 0);
	ck_assert_int_gt(count(ld, SUFFIX, "(modifiersName=" SERVICE ")"), 20);
	free_pairs(pairs, n);
	ldap_unbind_ext_s(ld, NULL, NULL);
	/* the CLI sees the same pairs */
	ck_assert_int_eq(sh("%s -c %s pairs --json > %s/pairs.json", build_path("src/mentorctl"), conf_path, td.dir), 0);
	ck_assert_int_eq(sh("test $(grep -c '\"mentor\":' %s/pairs.json) -eq %zu", td.dir, n), 0);
	ck_assert_int_eq(sh("%s -c %s pairs --csv | tail -n +2 | wc -l | grep -qx %zu", build_path("src/mentorctl"), conf_path, n), 0);
}
END_TEST

START_TEST(bad_values_are_skipped_naming_dn_and_attribute)
{
	start_company(300);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", ",ou=people," SUFFIX ": mentoringCompetence: value \"nonsense\" skipped"));
	ck_assert(output_has("mentord.err", "value \"digcomp.2=99\" skipped: level outside the scale"));
	/* the senior without a birth year is named, and left unpaired */
	LDAP *ld = admin();
	char *attrs[] = {"1.1", NULL}, line[1024];
	LDAPMessage *res = search(ld, SUFFIX, LDAP_SCOPE_SUBTREE,
				  "(description=gencompany fixture: no mentoringBirthYear)", attrs);
	char *dn = ldap_get_dn(ld, ldap_first_entry(ld, res));
	ck_assert_ptr_nonnull(dn);
	snprintf(line, sizeof(line), "%s is in the seniors group but has no birth year", dn);
	ck_assert(output_has("mentord.err", line));
	snprintf(line, sizeof(line), "(mentoringMentee=%s)", dn);
	ck_assert_int_eq(count(ld, PAIRS_OU, line), 0);
	ldap_memfree(dn);
	ldap_msgfree(res);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(personal_data_is_never_logged)
{
	/* hire dates read from a free-text attribute: the fixtures' descriptions are not dates */
	start_company(300);
	write_config(td.uri, SENIORS, "people = { attributes = { hire_date = \"description\"; }; };");
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", ": description: value skipped (not shown: personal data): not a GeneralizedTime"));
	ck_assert(!output_has("mentord.err", "gencompany fixture"));
	/* the store holds no raw dates either */
	ck_assert_int_eq(sh("! grep -a -q 'gencompany fixture' %s/mentord.db", td.dir), 0);
}
END_TEST

START_TEST(explain_shows_the_score_term_by_term)
{
	LDAP *ld;
	size_t n;
	char *score, line[256];
	start_company(300);
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	n = read_pairs(ld, pairs, MAXPAIRS);
	ck_assert_uint_gt(n, 0);
	char filter[1024], *attrs[] = {"1.1", NULL};
	snprintf(filter, sizeof(filter), "(mentoringMentee=%s)", pairs[0].mentee);
	LDAPMessage *res = search(ld, PAIRS_OU, LDAP_SCOPE_ONELEVEL, filter, attrs);
	char *group = ldap_get_dn(ld, ldap_first_entry(ld, res));
	ldap_msgfree(res);
	score = value_of(ld, group, "mentoringScore");
	ck_assert_ptr_nonnull(score);
	ck_assert_int_eq(sh("%s -c %s explain '%s' > %s/explain.txt", build_path("src/mentorctl"), conf_path,
			    pairs[0].mentee, td.dir), 0);
	snprintf(line, sizeof(line), "score = areas + cross-department + time zone = %s\n", score);
	ck_assert(output_has("explain.txt", line));
	ck_assert(output_has("explain.txt", group));
	ck_assert(output_has("explain.txt", "objectives (mentoringObjective):"));
	/* an unknown person, and someone without a pair */
	ck_assert_int_eq(sh("%s -c %s explain nobody-at-all 2>/dev/null", build_path("src/mentorctl"), conf_path), 1);
	ck_assert_int_eq(sh("%s -c %s explain 'cn=mentord,ou=services," SUFFIX "' 2>/dev/null",
			    build_path("src/mentorctl"), conf_path), 1);
	free(score);
	ldap_memfree(group);
	free_pairs(pairs, n);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(second_cycle_writes_nothing)
{
	LDAP *ld;
	char *before, *after;
	start_company(400);
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	before = managed_csn(ld);
	ck_assert_ptr_nonnull(before);
	ck_assert(output_has("mentord.err", "certified optimal"));
	ck_assert(!output_has("mentord.err", "started where the last cycle ended"));
	/* the scans' thread count from the configuration (the pairs do not depend on it) */
	write_config(td.uri, SENIORS, "matching = { threads = 1; };");
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "s on 1 thread, started where"));
	ck_assert(output_has("mentord.err", "0 adds, 0 modifies, 0 deletes"));
	/* the second matching starts where the first ended */
	ck_assert(output_has("mentord.err", "certified optimal"));
	ck_assert(output_has("mentord.err", "started where the last cycle ended"));
	after = managed_csn(ld);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(sh("%s -c %s status > %s/status.txt", build_path("src/mentorctl"), conf_path, td.dir), 0);
	ck_assert(output_has("status.txt", "changes:      0 adds, 0 modifies, 0 deletes"));
	ck_assert(output_has("status.txt", ", ok"));
	free(before);
	free(after);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

/*
 * Once nothing changes, a cycle neither matches nor plans: the input is the
 * one last matched and the managed OU is as the last cycle left it. A change
 * that does not touch the matching (a title) keeps that short way; a pair
 * group edited by hand is noticed and repaired, and a new hand edit after
 * that is noticed again.
 */
START_TEST(unchanged_cycles_are_short_and_hand_edits_repaired)
{
	LDAP *ld;
	char *vals[] = { "Bench title", NULL }, *csn, *after;
	LDAPMod title = { LDAP_MOD_REPLACE, "title", { vals } }, *mods[] = { &title, NULL };
	size_t n;
	start_company(400);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "the input is the one the last cycle matched"));
	ck_assert(output_has("mentord.err", "as the last cycle left them; nothing to plan"));
	ck_assert(output_has("mentord.err", "0 adds, 0 modifies, 0 deletes"));
	ld = admin();
	/* a title changes: still the short way */
	ck_assert_int_eq(ldap_modify_ext_s(ld, "uid=u000010,ou=people,dc=example,dc=com", mods, NULL, NULL),
			 LDAP_SUCCESS);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "the input is the one the last cycle matched"));
	ck_assert(output_has("mentord.err", "nothing to plan"));
	/* a pair group deleted by hand: noticed and written again */
	n = read_pairs(ld, pairs, MAXPAIRS);
	ck_assert_uint_gt(n, 0);
	{
		LDAPMessage *res = search(ld, PAIRS_OU, LDAP_SCOPE_ONELEVEL, "(objectClass=mentoringPair)", NULL);
		char *dn = ldap_get_dn(ld, ldap_first_entry(ld, res));
		ck_assert_int_eq(ldap_delete_ext_s(ld, dn, NULL, NULL), LDAP_SUCCESS);
		ck_assert_uint_eq(read_pairs(ld, pairs + n, MAXPAIRS - n), n - 1);
		free_pairs(pairs + n, n - 1);
		ck_assert_int_eq(mentord("--once"), 0);
		ck_assert(!output_has("mentord.err", "nothing to plan"));
		ck_assert(output_has("mentord.err", "1 adds, 0 modifies, 0 deletes"));
		ck_assert_uint_eq(read_pairs(ld, pairs + n, MAXPAIRS - n), n);
		free_pairs(pairs + n, n);
		/* the cycle after its own write plans again, then the short way returns */
		ck_assert_int_eq(mentord("--once"), 0);
		ck_assert(!output_has("mentord.err", "nothing to plan"));
		ck_assert_int_eq(mentord("--once"), 0);
		ck_assert(output_has("mentord.err", "nothing to plan"));
		csn = managed_csn(ld);
		/* a second hand edit, after a short cycle: noticed too */
		ck_assert_int_eq(ldap_delete_ext_s(ld, dn, NULL, NULL), LDAP_SUCCESS);
		ck_assert_int_eq(mentord("--once"), 0);
		ck_assert(output_has("mentord.err", "1 adds, 0 modifies, 0 deletes"));
		after = managed_csn(ld);
		ck_assert_str_ne(csn, after);
		free(csn);
		free(after);
		/* a pair group moved out of the OU by hand: noticed as well */
		ck_assert_int_eq(mentord("--once"), 0);
		ck_assert_int_eq(mentord("--once"), 0);
		ck_assert(output_has("mentord.err", "nothing to plan"));
		ck_assert_int_eq(ldap_rename_s(ld, dn, "cn=moved-away", "ou=people,dc=example,dc=com", 1, NULL, NULL),
				 LDAP_SUCCESS);
		ck_assert_int_eq(mentord("--once"), 0);
		ck_assert(output_has("mentord.err", "1 adds, 0 modifies, 0 deletes"));
		ldap_memfree(dn);
		ldap_msgfree(res);
	}
	free_pairs(pairs, n);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

/* Remove dn from a group as the admin. */
static void remove_member(LDAP *ld, const char *group, const char *dn)
{
	char *vals[] = {(char *)dn, NULL};
	LDAPMod mod = {LDAP_MOD_DELETE, "member", {vals}}, *mods[] = {&mod, NULL};
	ck_assert_int_eq(ldap_modify_ext_s(ld, group, mods, NULL, NULL), LDAP_SUCCESS);
}

START_TEST(senior_removed_from_group_loses_pair)
{
	LDAP *ld;
	size_t n, n2;
	char *gone;
	start_company(400);
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	n = read_pairs(ld, pairs, MAXPAIRS);
	ck_assert_uint_gt(n, 3);
	gone = strdup(pairs[0].mentee);
	free_pairs(pairs, n);
	ck_assert(is_member(ld, MENTEES, gone));
	remove_member(ld, SENIORS, gone);
	ck_assert_int_eq(mentord("--once"), 0);
	n2 = read_pairs(ld, pairs, MAXPAIRS);
	for (size_t i = 0; i < n2; i++)
		ck_assert_msg(strcasecmp(pairs[i].mentee, gone) != 0, "%s still has a pair", gone);
	ck_assert(!is_member(ld, MENTEES, gone));
	ck_assert(output_has("mentord.err", "1 deletes"));
	free_pairs(pairs, n2);
	free(gone);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(unreachable_server_changes_nothing)
{
	LDAP *ld;
	size_t n;
	start_company(300);
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	n = read_pairs(ld, pairs, MAXPAIRS);
	free_pairs(pairs, n);
	/* a port nothing listens on: port 1 needs root to bind, so nobody does */
	write_config("ldap://127.0.0.1:1/", SENIORS, NULL);
	ck_assert_int_eq(mentord("--once"), 3);
	ck_assert(output_has("mentord.err", "ldap://127.0.0.1:1/"));
	ck_assert_int_eq(read_pairs(ld, pairs, MAXPAIRS), n);
	free_pairs(pairs, n);
	ck_assert_int_eq(sh("%s -c %s status > %s/status.txt", build_path("src/mentorctl"), conf_path, td.dir), 1);
	ck_assert(output_has("status.txt", ", unreachable"));
	ck_assert(output_has("status.txt", "no directory server reachable"));
	ck_assert_int_eq(sh("test $(%s -c %s pairs --csv | tail -n +2 | wc -l) -eq %zu",
			    build_path("src/mentorctl"), conf_path, n), 0);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(first_uri_down_fails_over_to_the_second)
{
	char uris[512];
	start_company(300);
	/* port 1: nothing listens there (binding it needs root, and nobody does) */
	snprintf(uris, sizeof(uris), "ldap://127.0.0.1:1/\", \"%s", td.uri);
	write_config(uris, SENIORS, NULL);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "ldap://127.0.0.1:1/: bind"));
	ck_assert(output_has("mentord.err", "cycle ok"));
}
END_TEST

START_TEST(failed_read_deletes_nothing)
{
	LDAP *ld;
	size_t n;
	start_company(300);
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	n = read_pairs(ld, pairs, MAXPAIRS);
	free_pairs(pairs, n);
	/* the seniors group cannot be read: treating it as empty would delete every pair */
	write_config(td.uri, "cn=no-such-group,ou=groups," SUFFIX, "writeback = { max_delete_percent = 100; };");
	ck_assert_int_eq(mentord("--once"), 1);
	ck_assert(output_has("mentord.err", "cn=no-such-group"));
	ck_assert_int_eq(read_pairs(ld, pairs, MAXPAIRS), n);
	free_pairs(pairs, n);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(failed_write_is_undone)
{
	LDAP *ld;
	size_t n;
	char *victim, *child;
	start_company(400);
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	n = read_pairs(ld, pairs, MAXPAIRS);
	ck_assert_uint_gt(n, 3);
	victim = strdup(pairs[1].mentee);
	free_pairs(pairs, n);
	/* someone hangs an entry below the victim's pair group: deleting that group must fail */
	char *attrs[] = {"1.1", NULL}, filter[1024];
	snprintf(filter, sizeof(filter), "(mentoringMentee=%s)", victim);
	LDAPMessage *res = search(ld, PAIRS_OU, LDAP_SCOPE_ONELEVEL, filter, attrs);
	char *group = ldap_get_dn(ld, ldap_first_entry(ld, res));
	ldap_msgfree(res);
	child = NULL;
	ck_assert_int_gt(asprintf(&child, "cn=note,%s", group), 0);
	char *oc[] = {"organizationalRole", NULL}, *cn[] = {"note", NULL};
	LDAPMod m1 = {LDAP_MOD_ADD, "objectClass", {oc}}, m2 = {LDAP_MOD_ADD, "cn", {cn}}, *mods[] = {&m1, &m2, NULL};
	ck_assert_int_eq(ldap_add_ext_s(ld, child, mods, NULL, NULL), LDAP_SUCCESS);
	remove_member(ld, SENIORS, victim);
	/* the cycle removes the victim from cn=mentees, then fails deleting the group */
	ck_assert_int_eq(mentord("--once"), 1);
	ck_assert(output_has("mentord.err", "undoing"));
	ck_assert_msg(is_member(ld, MENTEES, victim), "the change to cn=mentees was not undone");
	ck_assert_int_eq(read_pairs(ld, pairs, MAXPAIRS), n);
	free_pairs(pairs, n);
	ck_assert_int_eq(sh("test $(%s -c %s pairs --csv | tail -n +2 | wc -l) -eq %zu",
			    build_path("src/mentorctl"), conf_path, n), 0);
	ldap_memfree(group);
	free(child);
	free(victim);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(dry_run_writes_nothing)
{
	LDAP *ld;
	start_company(300);
	ck_assert_int_eq(mentord("--dry-run"), 0);
	ck_assert(output_has("mentord.out", "changetype: add"));
	ck_assert(output_has("mentord.out", "objectClass: mentoringPair"));
	ld = admin();
	ck_assert_int_eq(count(ld, SUFFIX, "(ou=mentoring)"), 0);
	ck_assert_int_eq(sh("%s -c %s status > %s/status.txt", build_path("src/mentorctl"), conf_path, td.dir), 0);
	ck_assert(output_has("status.txt", "no cycle has run yet"));
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

/* The service account's DN (cn=mentord,ou=services,dc=example,dc=com) as a certificate subject. */
#define SERVICE_SUBJECT "/DC=com/DC=example/OU=services/CN=mentord"

/* A new client certificate and key (client.pem, client.key) for subject, from the test CA. */
static void client_certificate(const char *subject)
{
	ck_assert_int_eq(sh("(cd %s && openssl req -newkey rsa:2048 -nodes -subj %s -keyout client.key -out client.csr && "
			    "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
			    "-out client.pem) >%s/client.log 2>&1", td.dir, subject, td.dir), 0);
}

/*
 * Make a CA and a server certificate for 127.0.0.1 in the test directory;
 * the second CA signs nothing. With a client certificate too, whose
 * subject is the service account's DN (client.pem, client.key).
 */
static void make_certificates(void)
{
	ck_assert_int_eq(sh("(cd %s && "
			    "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out ca.pem && "
			    "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca -keyout other.key -out other.pem && "
			    "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr && "
			    "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext && "
			    "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
			    "-extfile san.ext -out server.pem) >%s/certs.log 2>&1", td.dir, td.dir), 0);
	client_certificate(SERVICE_SUBJECT);
}

/*
 * Turn on TLS in the running slapd's cn=config (StartTLS on the plain
 * listener); verify: olcTLSVerifyClient ("never": no client certificates).
 */
static void enable_tls(const char *verify)
{
	LDAP *ld;
	int v3 = LDAP_VERSION3;
	struct berval pw = {6, "secret"};
	char ca[4200], cert[4200], key[4200];
	char *v1[] = {ca, NULL}, *v2[] = {cert, NULL}, *v3v[] = {key, NULL};
	LDAPMod m1 = {LDAP_MOD_REPLACE, "olcTLSCACertificateFile", {v1}};
	LDAPMod m2 = {LDAP_MOD_REPLACE, "olcTLSCertificateFile", {v2}};
	LDAPMod m3 = {LDAP_MOD_REPLACE, "olcTLSCertificateKeyFile", {v3v}};
	LDAPMod m4 = {LDAP_MOD_REPLACE, "olcTLSVerifyClient", {(char *[]){(char *)verify, NULL}}};
	LDAPMod *mods[] = {&m1, &m2, &m3, &m4, NULL};
	snprintf(ca, sizeof(ca), "%s/ca.pem", td.dir);
	snprintf(cert, sizeof(cert), "%s/server.pem", td.dir);
	snprintf(key, sizeof(key), "%s/server.key", td.dir);
	ck_assert_int_eq(ldap_initialize(&ld, td.uri), LDAP_SUCCESS);
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ck_assert_int_eq(ldap_sasl_bind_s(ld, "cn=config", LDAP_SASL_SIMPLE, &pw, NULL, NULL, NULL), LDAP_SUCCESS);
	ck_assert_int_eq(ldap_modify_ext_s(ld, "cn=config", mods, NULL, NULL), LDAP_SUCCESS);
	ldap_unbind_ext_s(ld, NULL, NULL);
}

START_TEST(starttls_with_ca_file)
{
	start_company(300);
	make_certificates();
	enable_tls("never");
	/* the right CA: the cycle runs over TLS */
	write_config(td.uri, SENIORS, NULL);
	ck_assert_int_eq(sh("sed -i 's|timeout = 5;|timeout = 5; tls = \"starttls\"; ca_file = \"%s/ca.pem\";|' %s",
			    td.dir, conf_path), 0);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "cycle ok"));
	/* a CA that did not sign the server's certificate: refused, nothing written */
	ck_assert_int_eq(sh("sed -i 's|/ca.pem|/other.pem|' %s", conf_path), 0);
	ck_assert_int_eq(mentord("--once"), 3);
	ck_assert(output_has("mentord.err", "starttls"));
}
END_TEST

/* Progress hook: the cycle sits idle for 4 s once the people are read, as a long matching would. */
static int slow_plan(void *arg, int phase, long done, long total)
{
	(void)arg;
	(void)done;
	(void)total;
	if (phase == CYCLE_PHASE_PLAN)
		sleep(4);
	return 0;
}

/* One cycle in this process (as the daemon runs them) with the configuration at conf_path; its result. */
static enum cycle_result cycle_here(const struct progress *progress)
{
	struct cycle_report rep;
	struct conf *cf = NULL;
	char *errors = NULL;
	enum cycle_result rc;
	if (conf_load(conf_path, &cf, &errors) != 0)
		ck_abort_msg("configuration refused: %s", errors);
	memset(&rep, 0, sizeof(rep));
	rc = cycle_run(cf, 0, NULL, progress, &rep);
	conf_free(cf);
	return rc;
}

/* One cycle in this process, with the slow_plan hook; its result. */
static enum cycle_result slow_cycle(int idle_timeout)
{
	struct progress slow = {slow_plan, NULL};
	char extra[64];
	write_config(td.uri, SENIORS, NULL);
	snprintf(extra, sizeof(extra), "timeout = 5; idle_timeout = %d;", idle_timeout);
	ck_assert_int_eq(sh("sed -i 's|timeout = 5;|%s|' %s", extra, conf_path), 0);
	return cycle_here(&slow);
}

/*
 * The server drops connections idle for a second. A cycle that sits longer
 * than that between reading and writing (matching) connects again before
 * it writes when directory.idle_timeout says so; with idle_timeout = 0 it
 * finds its connection gone and changes nothing.
 */
START_TEST(idle_connection_renewed_before_the_writes)
{
	LDAP *ld;
	char *v[] = {"1", NULL};
	LDAPMod m = {LDAP_MOD_REPLACE, "olcIdleTimeout", {v}}, *mods[] = {&m, NULL};
	struct berval pw = {6, "secret"};
	int v3 = LDAP_VERSION3;
	start_company(200);
	ck_assert_int_eq(ldap_initialize(&ld, td.uri), LDAP_SUCCESS);
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ck_assert_int_eq(ldap_sasl_bind_s(ld, "cn=config", LDAP_SASL_SIMPLE, &pw, NULL, NULL, NULL), LDAP_SUCCESS);
	ck_assert_int_eq(ldap_modify_ext_s(ld, "cn=config", mods, NULL, NULL), LDAP_SUCCESS);
	ldap_unbind_ext_s(ld, NULL, NULL);
	ck_assert_int_ne(slow_cycle(0), CYCLE_OK);
	ld = admin();
	ck_assert_int_eq(count(ld, PAIRS_OU, "(objectClass=mentoringPair)"), 0);
	ldap_unbind_ext_s(ld, NULL, NULL);
	ck_assert_int_eq(slow_cycle(1), CYCLE_OK);
	ld = admin();
	ck_assert_int_gt(count(ld, PAIRS_OU, "(objectClass=mentoringPair)"), 0);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

/*
 * SASL EXTERNAL over StartTLS: the server takes mentord's identity from its
 * client certificate, whose subject is the service account's DN, so the
 * cycle reads and writes as that account without a password. A process
 * that runs many cycles reuses its TLS context, and reads a renewed
 * certificate at the next connection. A certificate file that is not there
 * stops the cycle, named.
 */
START_TEST(external_bind_with_a_client_certificate)
{
	LDAP *ld;
	LDAPMessage *res;
	FILE *fp;
	char *dn;
	int n;
	start_company(300);
	make_certificates();
	enable_tls("demand");
	ck_assert_ptr_nonnull(fp = fopen(conf_path, "w"));
	fprintf(fp, "directory = { uri = \"%s\"; base = \"" SUFFIX "\"; tls = \"starttls\"; ca_file = \"%s/ca.pem\";\n"
		"  cert_file = \"%s/client.pem\"; key_file = \"%s/client.key\"; sasl_mech = \"EXTERNAL\"; timeout = 5; };\n"
		"participants = { juniors = \"" JUNIORS "\"; seniors = \"" SENIORS "\"; };\n"
		"state = { database = \"%s/mentord.db\"; };\n", td.uri, td.dir, td.dir, td.dir, td.dir);
	fclose(fp);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "cycle ok"));
	ld = admin();
	ck_assert_int_gt(n = count(ld, PAIRS_OU, "(&(objectClass=mentoringPair)(creatorsName=" SERVICE "))"), 0);
	/* cycles in one process: the second connection takes the context the first one built */
	ck_assert_int_eq(cycle_here(NULL), CYCLE_OK);
	ck_assert_int_eq(cycle_here(NULL), CYCLE_OK);
	/* renewed for an identity without write rights: the next cycle binds as that one and cannot repair */
	res = search(ld, PAIRS_OU, LDAP_SCOPE_ONELEVEL, "(objectClass=mentoringPair)", NULL);
	dn = ldap_get_dn(ld, ldap_first_entry(ld, res));
	ck_assert_int_eq(ldap_delete_ext_s(ld, dn, NULL, NULL), LDAP_SUCCESS);
	client_certificate("/CN=nobody");
	ck_assert_int_ne(cycle_here(NULL), CYCLE_OK);
	ck_assert_int_eq(count(ld, PAIRS_OU, "(objectClass=mentoringPair)"), n - 1);
	client_certificate(SERVICE_SUBJECT);
	ck_assert_int_eq(cycle_here(NULL), CYCLE_OK);
	ck_assert_int_eq(count(ld, PAIRS_OU, "(objectClass=mentoringPair)"), n);
	ldap_memfree(dn);
	ldap_msgfree(res);
	ldap_unbind_ext_s(ld, NULL, NULL);
	/* a certificate file that is not there: the connection is refused, with the file named */
	ck_assert_int_eq(sh("sed -i 's|/client.pem|/missing.pem|' %s", conf_path), 0);
	ck_assert_int_eq(mentord("--once"), 3);
	ck_assert(output_has("mentord.err", "missing.pem"));
}
END_TEST

START_TEST(config_errors_name_the_line)
{
	FILE *fp;
	ck_assert_int_eq(testdir_start(&td, NULL), 0);
	snprintf(conf_path, sizeof(conf_path), "%s/bad.conf", td.dir);
	fp = fopen(conf_path, "w");
	fputs("directory = {\n  uri = \"ldap://127.0.0.1/\";\n  base = \"dc=example,dc=com\";\n  pagesize = 5;\n};\n", fp);
	fclose(fp);
	ck_assert_int_eq(mentord("-n"), 2);
	ck_assert(output_has("mentord.err", "bad.conf:4: "));
	ck_assert(output_has("mentord.err", "pagesize"));
}
END_TEST

static Suite *slapd_suite(void)
{
	Suite *s = suite_create("slapd");
	TCase *tc = tcase_create("cycle");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, cycle_writes_pairs_within_the_constraints);
	tcase_add_test(tc, bad_values_are_skipped_naming_dn_and_attribute);
	tcase_add_test(tc, personal_data_is_never_logged);
	tcase_add_test(tc, explain_shows_the_score_term_by_term);
	tcase_add_test(tc, second_cycle_writes_nothing);
	tcase_add_test(tc, unchanged_cycles_are_short_and_hand_edits_repaired);
	tcase_add_test(tc, senior_removed_from_group_loses_pair);
	tcase_add_test(tc, unreachable_server_changes_nothing);
	tcase_add_test(tc, first_uri_down_fails_over_to_the_second);
	tcase_add_test(tc, failed_read_deletes_nothing);
	tcase_add_test(tc, failed_write_is_undone);
	tcase_add_test(tc, dry_run_writes_nothing);
	tcase_add_test(tc, config_errors_name_the_line);
	tcase_add_test(tc, starttls_with_ca_file);
	tcase_add_test(tc, external_bind_with_a_client_certificate);
	tcase_add_test(tc, idle_connection_renewed_before_the_writes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(slapd_suite());
}
