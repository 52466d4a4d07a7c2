/*
 * Unit tests for the writeback diff and the escaping helpers: the rules that
 * keep an admin's directory safe (ownership, containers, set-once attributes,
 * the delete limit) are checked on hand-built states, without a server.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/check_main.h"
#include "conf.h"
#include "dir.h"
#include "writeback.h"

static struct conf cf;

/* A configuration with just what writeback reads. */
static void setup(void)
{
	memset(&cf, 0, sizeof(cf));
	cf.managed_ou = "ou=mentoring,dc=example,dc=com";
	cf.owner = "mentord";
	cf.max_delete_percent = 50;
}

/* Render a plan as LDIF text (caller frees). */
static char *plan_text(const struct wb_plan *plan)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	wb_plan_ldif(plan, fp);
	fclose(fp);
	return buf;
}

static const struct wb_pair pair_a = {
	"uuid-j1", "uid=j1,ou=people,dc=example,dc=com", "Jo One",
	"uuid-s1", "uid=s1,ou=people,dc=example,dc=com", "Sam One",
	7, NULL, 0, 1700000000,
};

/* Copy every entry of a wanted set into a "directory" set, owned. */
static struct wb_set *as_directory(const struct wb_pair *pairs, size_t n)
{
	return wb_desired(&cf, pairs, n);
}

START_TEST(empty_directory_gets_everything)
{
	struct wb_set *want = wb_desired(&cf, &pair_a, 1), *have = wb_set_new();
	struct wb_plan *plan;
	struct wb_counts n;
	char *text;
	ck_assert_int_eq(wb_diff(&cf, want, have, &plan), 0);
	wb_plan_counts(plan, &n);
	/* three OUs, the pair group, the mentors and mentees groups */
	ck_assert_int_eq(n.adds, 6);
	ck_assert_int_eq(n.modifies + n.deletes + n.conflicts, 0);
	text = plan_text(plan);
	ck_assert_ptr_nonnull(strstr(text, "dn: ou=mentoring,dc=example,dc=com\nchangetype: add\n"));
	ck_assert_ptr_nonnull(strstr(text, "mentoringMentor: uid=j1,ou=people,dc=example,dc=com\n"));
	ck_assert_ptr_nonnull(strstr(text, "mentoringStarted: 20231114221320Z\n"));
	ck_assert_ptr_nonnull(strstr(text, "mentoringOwner: mentord\n"));
	free(text);
	wb_plan_free(plan);
	wb_set_free(want);
	wb_set_free(have);
}
END_TEST

/* Mark every entry of a set as ours. */
static void own_all(struct wb_set *set, const struct wb_pair *pairs, size_t n)
{
	const char *dns[] = {"ou=mentoring,dc=example,dc=com", "ou=pairs,ou=mentoring,dc=example,dc=com",
			     "ou=groups,ou=mentoring,dc=example,dc=com",
			     "cn=mentors,ou=groups,ou=mentoring,dc=example,dc=com",
			     "cn=mentees,ou=groups,ou=mentoring,dc=example,dc=com"};
	for (size_t i = 0; i < sizeof(dns) / sizeof(dns[0]); i++)
		wb_entry_set_owned(wb_set_entry(set, dns[i]), 1);
	for (size_t i = 0; i < n; i++) {
		char *dn = wb_pair_dn(&cf, pairs[i].mentor_uuid, pairs[i].mentee_uuid);
		wb_entry_set_owned(wb_set_entry(set, dn), 1);
		free(dn);
	}
}

START_TEST(same_state_writes_nothing)
{
	struct wb_set *want = wb_desired(&cf, &pair_a, 1), *have = as_directory(&pair_a, 1);
	struct wb_plan *plan;
	struct wb_counts n;
	own_all(have, &pair_a, 1);
	ck_assert_int_eq(wb_diff(&cf, want, have, &plan), 0);
	wb_plan_counts(plan, &n);
	ck_assert_int_eq(n.adds + n.modifies + n.deletes + n.conflicts, 0);
	wb_plan_free(plan);
	wb_set_free(want);
	wb_set_free(have);
}
END_TEST

START_TEST(dn_case_and_spacing_are_not_changes)
{
	struct wb_pair shouty = pair_a;
	struct wb_set *want = wb_desired(&cf, &pair_a, 1), *have;
	struct wb_plan *plan;
	struct wb_counts n;
	shouty.mentor_dn = "UID=j1, OU=People, DC=Example, DC=com";
	have = as_directory(&shouty, 1);
	own_all(have, &shouty, 1);
	ck_assert_int_eq(wb_diff(&cf, want, have, &plan), 0);
	wb_plan_counts(plan, &n);
	ck_assert_int_eq(n.modifies, 0);
	wb_plan_free(plan);
	wb_set_free(want);
	wb_set_free(have);
}
END_TEST

START_TEST(changed_values_are_value_level)
{
	char *objectives[] = {"mentee digcomp.1 2->4"};
	struct wb_pair now = pair_a;
	struct wb_set *want, *have = as_directory(&pair_a, 1);
	struct wb_plan *plan;
	struct wb_counts n;
	char *dn = wb_pair_dn(&cf, pair_a.mentor_uuid, pair_a.mentee_uuid), *text;
	struct wb_entry *e;
	now.score = 9;
	now.objectives = objectives;
	now.n_objectives = 1;
	now.started = 1800000000; /* set once: must not replace the directory's value */
	want = wb_desired(&cf, &now, 1);
	own_all(have, &pair_a, 1);
	e = wb_set_entry(have, dn);
	wb_entry_add(e, "objectClass", "extensibleObject"); /* an admin's addition stays */
	ck_assert_int_eq(wb_diff(&cf, want, have, &plan), 0);
	wb_plan_counts(plan, &n);
	ck_assert_int_eq(n.modifies, 1);
	ck_assert_int_eq(n.adds + n.deletes, 0);
	text = plan_text(plan);
	ck_assert_ptr_nonnull(strstr(text, "changetype: modify\nadd: mentoringObjective\n"
					   "mentoringObjective: mentee digcomp.1 2->4\n-\n"));
	ck_assert_ptr_nonnull(strstr(text, "replace: mentoringScore\nmentoringScore: 9\n-\n"));
	ck_assert_ptr_null(strstr(text, "mentoringStarted"));
	ck_assert_ptr_null(strstr(text, "extensibleObject"));
	ck_assert_ptr_null(strstr(text, "member:"));
	free(text);
	free(dn);
	wb_plan_free(plan);
	wb_set_free(want);
	wb_set_free(have);
}
END_TEST

START_TEST(foreign_entries_are_never_touched)
{
	struct wb_set *want = wb_desired(&cf, &pair_a, 1), *have = as_directory(&pair_a, 1);
	struct wb_plan *plan;
	struct wb_counts n;
	char *text;
	/* no ownership marker anywhere: the pair group is a conflict, the stray entry stays */
	wb_entry_add(wb_set_entry(have, "cn=handmade,ou=pairs,ou=mentoring,dc=example,dc=com"), "cn", "handmade");
	ck_assert_int_eq(wb_diff(&cf, want, have, &plan), 0);
	wb_plan_counts(plan, &n);
	ck_assert_int_eq(n.conflicts, 3); /* pair group, mentors, mentees */
	ck_assert_int_eq(n.adds + n.modifies + n.deletes, 0);
	text = plan_text(plan);
	ck_assert_str_eq(text, "");
	free(text);
	wb_plan_free(plan);
	wb_set_free(want);
	wb_set_free(have);
}
END_TEST

START_TEST(unwanted_owned_pairs_are_deleted)
{
	struct wb_pair old = pair_a;
	struct wb_set *want = wb_desired(&cf, &pair_a, 1), *have;
	struct wb_plan *plan;
	struct wb_counts n;
	char *text, *gone;
	old.mentee_uuid = "uuid-s2";
	old.mentee_dn = "uid=s2,ou=people,dc=example,dc=com";
	have = as_directory(&old, 1);
	own_all(have, &old, 1);
	ck_assert_int_eq(wb_diff(&cf, want, have, &plan), 0);
	wb_plan_counts(plan, &n);
	ck_assert_int_eq(n.adds, 1);
	ck_assert_int_eq(n.deletes, 1);
	ck_assert_int_eq(n.modifies, 1); /* mentees group: s2 replaced by s1 */
	text = plan_text(plan);
	gone = wb_pair_dn(&cf, "uuid-j1", "uuid-s2");
	ck_assert_ptr_nonnull(strstr(text, gone));
	ck_assert_ptr_nonnull(strstr(text, "changetype: delete"));
	free(gone);
	free(text);
	wb_plan_free(plan);
	wb_set_free(want);
	wb_set_free(have);
}
END_TEST

START_TEST(delete_limit_stops_mass_deletes)
{
	struct wb_pair pairs[12];
	char ids[12][24];
	struct wb_set *want, *have;
	struct wb_plan *plan;
	for (int i = 0; i < 12; i++) {
		pairs[i] = pair_a;
		snprintf(ids[i], sizeof(ids[i]), "uuid-s%d", i);
		pairs[i].mentee_uuid = ids[i];
	}
	have = as_directory(pairs, 12);
	own_all(have, pairs, 12);
	want = wb_desired(&cf, pairs, 6); /* 6 of 12 deleted: exactly 50%, allowed */
	ck_assert_int_eq(wb_diff(&cf, want, have, &plan), 0);
	wb_plan_free(plan);
	wb_set_free(want);
	want = wb_desired(&cf, pairs, 5); /* 7 of 12: over the limit */
	ck_assert_int_eq(wb_diff(&cf, want, have, &plan), -1);
	wb_plan_free(plan);
	wb_set_free(want);
	wb_set_free(have);
}
END_TEST

START_TEST(pair_names_are_stable_and_directional)
{
	char *a = wb_pair_dn(&cf, "x", "y"), *b = wb_pair_dn(&cf, "x", "y"), *c = wb_pair_dn(&cf, "y", "x");
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	ck_assert_int_eq(strncmp(a, "cn=pair-", 8), 0);
	ck_assert_ptr_nonnull(strstr(a, ",ou=pairs,ou=mentoring,dc=example,dc=com"));
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(escaping)
{
	char *s = dir_filter_escape("*)(uid=*)\\");
	ck_assert_str_eq(s, "\\2A\\29\\28uid=\\2A\\29\\5C"); /* RFC 4515: hex case is free */
	free(s);
	s = dir_rdn_escape(" Smith, Jr. +1 <a>;\"q\"\\ ");
	ck_assert_str_eq(s, "\\ Smith\\, Jr. \\+1 \\<a\\>\\;\\\"q\\\"\\\\\\ ");
	free(s);
	s = dir_rdn_escape("#hash");
	ck_assert_str_eq(s, "\\#hash");
	free(s);
	s = dir_dn_canonical("CN=Smith\\, Jr.,  OU=People,DC=Example");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "cn=smith\\2c jr.,ou=people,dc=example");
	free(s);
	ck_assert_ptr_null(dir_dn_canonical("not a dn"));
}
END_TEST

START_TEST(ldif_encodes_unsafe_values)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	dir_ldif_line(fp, "description", " leading space");
	dir_ldif_line(fp, "description", "Zo\xc3\xab");
	dir_ldif_line(fp, "description", "plain");
	fclose(fp);
	ck_assert_str_eq(buf, "description:: IGxlYWRpbmcgc3BhY2U=\ndescription:: Wm/Dqw==\ndescription: plain\n");
	free(buf);
}
END_TEST

static Suite *writeback_suite(void)
{
	Suite *s = suite_create("writeback");
	TCase *tc = tcase_create("diff");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, empty_directory_gets_everything);
	tcase_add_test(tc, same_state_writes_nothing);
	tcase_add_test(tc, dn_case_and_spacing_are_not_changes);
	tcase_add_test(tc, changed_values_are_value_level);
	tcase_add_test(tc, foreign_entries_are_never_touched);
	tcase_add_test(tc, unwanted_owned_pairs_are_deleted);
	tcase_add_test(tc, delete_limit_stops_mass_deletes);
	tcase_add_test(tc, pair_names_are_stable_and_directional);
	tcase_add_test(tc, escaping);
	tcase_add_test(tc, ldif_encodes_unsafe_values);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(writeback_suite());
}
