/*
 * The matching programme's rules end to end against a real slapd: a small
 * hand-made company whose best matching is known, cycles run by mentord and
 * HR's commands run by mentorctl. Every rule is shown to change the result:
 * the company is built so that without the rule a different pair is made.
 *
 * Juniors j1, j2 (born 1990, capacity 1) and seniors s1, s2 (born 1960)
 * differ only in digcomp.1 (standard 4): j1 4, j2 2, s1 1, s2 3, so the
 * scores are j1-s1 3, j1-s2 1, j2-s1 1, j2-s2 0. Pairing A (j1-s1, j2-s2)
 * scores 3, pairing B (j1-s2, j2-s1) 2. Senior s3 (born 1995) is in the
 * seniors group but no junior is younger.
 */
#include "config.h"

#include <check.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/check_main.h"
#include "lib/testutil.h"

#define PEOPLE "ou=people," SUFFIX
#define J1 "uid=j1," PEOPLE
#define J2 "uid=j2," PEOPLE
#define S1 "uid=s1," PEOPLE
#define S2 "uid=s2," PEOPLE
#define S3 "uid=s3," PEOPLE
#define TRAINED "cn=trained-mentors,ou=groups," SUFFIX
#define EXCLUDED "cn=excluded,ou=groups," SUFFIX

/* Write one person: uid, birth year, digcomp.1 level, capacity (-1: none), extra LDIF lines. */
static void put_person(FILE *fp, const char *uid, int born, int level, int capacity, const char *extra)
{
	fprintf(fp, "dn: uid=%s," PEOPLE "\nobjectClass: inetOrgPerson\nobjectClass: mentoringParticipant\n"
		    "uid: %s\ncn: Person %s\nsn: %s\nmail: %s@example.com\nmentoringBirthYear: %d\n"
		    "mentoringHireDate: 20100101000000Z\nmentoringCompetence: digcomp.1=%d\n",
		uid, uid, uid, uid, uid, born, level);
	for (int a = 2; a <= 5; a++)
		fprintf(fp, "mentoringCompetence: digcomp.%d=1\n", a);
	if (capacity >= 0)
		fprintf(fp, "mentoringCapacity: %d\n", capacity);
	fprintf(fp, "%s%s\n", extra ? extra : "", extra ? "\n" : "");
}

/* Write a groupOfNames with the given member lines. */
static void put_group(FILE *fp, const char *dn, const char *cn, const char *members)
{
	fprintf(fp, "dn: %s\nobjectClass: groupOfNames\ncn: %s\n%s\n", dn, cn, members);
}

/* Extra LDIF lines for j1 in the next company written. */
static const char *j1_extra;

/* The company as LDIF; s1_extra and s2_extra (and j1_extra) are added to those entries. */
static void write_company(const char *path, const char *s1_extra, const char *s2_extra)
{
	FILE *fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("dn: " SUFFIX "\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n"
	      "dn: " PEOPLE "\nobjectClass: organizationalUnit\nou: people\n\n"
	      "dn: ou=groups," SUFFIX "\nobjectClass: organizationalUnit\nou: groups\n\n"
	      "dn: ou=services," SUFFIX "\nobjectClass: organizationalUnit\nou: services\n\n"
	      "dn: " SERVICE "\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
	      "cn: mentord\nuserPassword: mentord-secret\n\n", fp);
	put_person(fp, "j1", 1990, 4, 1, j1_extra);
	put_person(fp, "j2", 1990, 2, 1, NULL);
	put_person(fp, "s1", 1960, 1, -1, s1_extra);
	put_person(fp, "s2", 1960, 3, -1, s2_extra);
	put_person(fp, "s3", 1995, 1, -1, NULL);
	put_group(fp, JUNIORS, "mentoring-juniors", "member: " J1 "\nmember: " J2 "\n");
	put_group(fp, SENIORS, "mentoring-seniors", "member: " S1 "\nmember: " S2 "\nmember: " S3 "\n");
	put_group(fp, TRAINED, "trained-mentors", "member: " J2 "\n");
	put_group(fp, EXCLUDED, "excluded", "member: " S2 "\n");
	fclose(fp);
}

/* Write the mentord configuration: participants_extra inside participants, extra at top level. */
static void configure(const char *participants_extra, const char *extra)
{
	FILE *fp;
	char pw[4200];
	snprintf(pw, sizeof(pw), "%s/bind.pw", td.dir);
	fp = fopen(pw, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("mentord-secret\n", fp);
	fclose(fp);
	snprintf(conf_path, sizeof(conf_path), "%s/mentord.conf", td.dir);
	fp = fopen(conf_path, "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp,
		"directory = { uri = [\"%s\"]; base = \"" SUFFIX "\"; bind_dn = \"" SERVICE "\";\n"
		"  password_file = \"%s\"; timeout = 5; };\n"
		"participants = { juniors = \"" JUNIORS "\"; seniors = \"" SENIORS "\"; %s };\n"
		"state = { database = \"%s/mentord.db\"; };\n%s\n",
		td.uri, pw, participants_extra ? participants_extra : "", td.dir, extra ? extra : "");
	fclose(fp);
}

/* Start slapd with the company (extra LDIF lines on s1 and s2) and configure mentord. */
static void start(const char *s1_extra, const char *s2_extra, const char *participants_extra, const char *extra)
{
	char ldif[4200];
	const char *ldifs[] = {ldif, NULL};
	const char *tmp = getenv("TMPDIR");
	int fd;
	snprintf(ldif, sizeof(ldif), "%s/mentord-programme-XXXXXX", tmp ? tmp : "/tmp");
	ck_assert_int_ge(fd = mkstemp(ldif), 0);
	close(fd);
	write_company(ldif, s1_extra, s2_extra);
	if (testdir_start(&td, ldifs) != 0)
		ck_abort_msg("slapd could not be started; see the messages above");
	remove(ldif);
	configure(participants_extra, extra);
}

/* Run mentorctl with args; stdout to DIR/ctl.out, stderr to DIR/ctl.err. */
static int mentorctl(const char *args)
{
	return sh("%s -c %s %s >%s/ctl.out 2>%s/ctl.err", build_path("src/mentorctl"), conf_path, args, td.dir,
		  td.dir);
}

/* Number of pair groups in the directory for mentor and mentee (NULL: any). */
static int pairs_of(LDAP *ld, const char *mentor, const char *mentee)
{
	char filter[1024];
	snprintf(filter, sizeof(filter), "(&(objectClass=mentoringPair)%s%s%s%s%s%s)", mentor ? "(mentoringMentor=" : "",
		 mentor ? mentor : "", mentor ? ")" : "", mentee ? "(mentoringMentee=" : "", mentee ? mentee : "",
		 mentee ? ")" : "");
	return count(ld, PAIRS_OU, filter);
}

/* Assert that the directory holds exactly pairing A (a != 0) or B. */
static void assert_pairing(LDAP *ld, int a)
{
	ck_assert_int_eq(pairs_of(ld, NULL, NULL), 2);
	ck_assert_int_eq(pairs_of(ld, J1, a ? S1 : S2), 1);
	ck_assert_int_eq(pairs_of(ld, J2, a ? S2 : S1), 1);
}

/* Apply one modification (LDAP_MOD_ADD, _DELETE or _REPLACE) of attr on dn; value NULL: all values. */
static void modify(LDAP *ld, const char *dn, int op, const char *attr, const char *value)
{
	char *vals[] = {(char *)value, NULL};
	LDAPMod mod = {.mod_op = op, .mod_type = (char *)attr, .mod_values = value ? vals : NULL};
	LDAPMod *mods[] = {&mod, NULL};
	int rc = ldap_modify_ext_s(ld, dn, mods, NULL, NULL);
	ck_assert_msg(rc == LDAP_SUCCESS, "modify %s %s: %s", dn, attr, ldap_err2string(rc));
}

/* Set a person's digcomp.1 level (the other areas stay at 1). */
static void set_level(LDAP *ld, const char *dn, int level)
{
	char v[32];
	modify(ld, dn, LDAP_MOD_DELETE, "mentoringCompetence", NULL);
	for (int a = 1; a <= 5; a++) {
		snprintf(v, sizeof(v), "digcomp.%d=%d", a, a == 1 ? level : 1);
		modify(ld, dn, LDAP_MOD_ADD, "mentoringCompetence", v);
	}
}

START_TEST(stability_keeps_pairs_and_counts_changes)
{
	LDAP *ld;
	start(NULL, NULL, NULL, NULL);
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	assert_pairing(ld, 1);
	ck_assert(output_has("mentord.err", "2 pairs (2 new, 0 ended, 0 kept)"));
	/* now B scores 3 and A 2: one point better, less than the stability bonus of two kept pairs */
	set_level(ld, S1, 3);
	set_level(ld, S2, 1);
	ck_assert_int_eq(mentord("--once"), 0);
	assert_pairing(ld, 1);
	ck_assert(output_has("mentord.err", "2 pairs (0 new, 0 ended, 2 kept)"));
	ck_assert_int_eq(mentorctl("status"), 0);
	ck_assert(output_has("ctl.out", "pairs:        2 (0 new, 0 ended, 2 kept)"));
	/* the score written is the pair's own, without the stability bonus: A scores 1 + 1 now */
	ck_assert_int_eq(mentorctl("pairs --json"), 0);
	ck_assert_int_eq(sh("grep -c '\"score\": 1,' %s/ctl.out | grep -qx 2", td.dir), 0);
	/* without the bonus the better pairing wins: the setting is what kept the pairs */
	configure(NULL, "matching = { bonus = { stability = 0; }; };");
	ck_assert_int_eq(mentord("--once"), 0);
	assert_pairing(ld, 0);
	ck_assert_int_eq(mentorctl("history --csv"), 0);
	ck_assert_int_eq(sh("sed -n 2p %s/ctl.out | grep -q ',2,2,0,no$'", td.dir), 0);
	ck_assert_int_eq(sh("sed -n 3p %s/ctl.out | grep -q ',0,0,2,no$'", td.dir), 0);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

/*
 * matching.mentors_per_senior = 2: with s2 excluded, s1 is the only mentee
 * a junior may take, and it gets both juniors, each pair its own group; one
 * mentor is the default. The pairs stay the next cycle; explain shows both.
 */
START_TEST(two_mentors_per_senior)
{
	LDAP *ld;
	start(NULL, NULL, "excluded = \"" EXCLUDED "\";", NULL);
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	ck_assert_int_eq(pairs_of(ld, NULL, NULL), 1);
	ck_assert_int_eq(pairs_of(ld, J1, S1), 1);
	configure("excluded = \"" EXCLUDED "\";", "matching = { mentors_per_senior = 2; };");
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "2 pairs (1 new, 0 ended, 1 kept)"));
	ck_assert(output_has("mentord.err", "matching: 1 matched in 2 pairs, score "));
	ck_assert_int_eq(pairs_of(ld, NULL, NULL), 2);
	ck_assert_int_eq(pairs_of(ld, J1, S1), 1);
	ck_assert_int_eq(pairs_of(ld, J2, S1), 1);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "2 pairs (0 new, 0 ended, 2 kept)"));
	ck_assert_int_eq(mentorctl("explain s1"), 0);
	ck_assert(output_has("ctl.out", "Person j1 (Y, no department) mentors Person s1"));
	ck_assert(output_has("ctl.out", "Person j2 (Y, no department) mentors Person s1"));
	/* both pairs are in force: each earns the stability bonus */
	ck_assert_int_eq(sh("grep -c 'stability bonus (weighs in while matching; not in the score)      5$' %s/ctl.out "
			    "| grep -qx 2", td.dir), 0);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(pins_and_forbids)
{
	LDAP *ld;
	start(NULL, NULL, NULL, "matching = { bonus = { stability = 0; }; };");
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	assert_pairing(ld, 1);
	/* a pin holds a pair that scores less, cycle after cycle */
	ck_assert_int_eq(mentorctl("pin j1 s2@example.com"), 0);
	ck_assert_int_eq(mentorctl("pins --csv"), 0);
	ck_assert(output_has("ctl.out", "pin,Person j1,"));
	ck_assert(output_has("ctl.out", ",Person s2,"));
	ck_assert_int_eq(mentord("--once"), 0);
	assert_pairing(ld, 0);
	ck_assert_int_eq(mentord("--once"), 0);
	assert_pairing(ld, 0);
	ck_assert_int_eq(mentorctl("unpin j1 s2"), 0);
	ck_assert_int_eq(mentorctl("unpin j1 s2"), 1);
	ck_assert(output_has("ctl.err", "there is no pin"));
	/* without the pin A would come back; forbidden, j1-s1 is never made */
	ck_assert_int_eq(mentorctl("forbid '" J1 "' s1"), 0);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert_int_eq(pairs_of(ld, J1, S1), 0);
	assert_pairing(ld, 0);
	ck_assert_int_eq(mentorctl("explain s1"), 0);
	ck_assert(output_has("ctl.out", "Person j2 (Y, no department) mentors Person s1"));
	ck_assert_int_eq(mentorctl("unforbid j1 s1"), 0);
	ck_assert_int_eq(mentord("--once"), 0);
	assert_pairing(ld, 1);
	/* a pin that breaks a hard constraint is logged with the reason every cycle */
	ck_assert_int_eq(mentorctl("pin j1 s3"), 0);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "pin " J1 " mentors " S3 " cannot be honoured: mentor not younger"));
	ck_assert_int_eq(pairs_of(ld, NULL, S3), 0);
	/* people who are not staff are refused */
	ck_assert_int_eq(mentorctl("forbid j1 nobody-at-all"), 1);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(avoid_lists)
{
	LDAP *ld;
	start("mentoringAvoid: " J1, "mentoringAvoid: uid=ghost," PEOPLE, NULL,
	      "matching = { bonus = { stability = 0; }; };");
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	assert_pairing(ld, 0);
	ck_assert(output_has("mentord.err", S2 ": mentoringAvoid: a value names nobody among the synced staff"));
	ck_assert(!output_has("mentord.err", "ghost"));
	/* s1 read again by an incremental sync: the avoid list stays */
	modify(ld, S1, LDAP_MOD_REPLACE, "description", "changed");
	ck_assert_int_eq(mentord("--once"), 0);
	assert_pairing(ld, 0);
	ck_assert_int_eq(mentorctl("explain j1"), 0);
	ck_assert(output_has("ctl.out", "Person j1 (Y, no department) mentors Person s2"));
	/* without it, j1-s1 is made */
	modify(ld, S1, LDAP_MOD_DELETE, "mentoringAvoid", NULL);
	ck_assert_int_eq(mentord("--once"), 0);
	assert_pairing(ld, 1);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(time_zones_from_locations)
{
	LDAP *ld;
	j1_extra = "l: Tokyo";
	start("l: Berlin", "l: berlin", NULL,
	      "matching = { max_timezone_hours = 6;\n"
	      "  timezones = ( { location = \"Berlin\"; offset = \"+01:00\"; },\n"
	      "                { location = \"Tokyo\"; offset = \"+09:00\"; } ); };");
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	/* j1 in Tokyo is 8 hours from both seniors in Berlin: j2 takes s1, j1 nobody */
	ck_assert_int_eq(pairs_of(ld, NULL, NULL), 1);
	ck_assert_int_eq(pairs_of(ld, J2, S1), 1);
	ck_assert_int_eq(mentorctl("explain j1"), 0);
	ck_assert(output_has("ctl.out", "no eligible partner among 3 mentees; ruled out by:"));
	ck_assert_int_eq(sh("grep -q '^  time zones too far apart  *2$' %s/ctl.out", td.dir), 0);
	ck_assert_int_eq(sh("grep -q '^  mentor not younger  *1$' %s/ctl.out", td.dir), 0);
	ck_assert(!output_has("mentord.err", "is not in matching.timezones"));
	/* a location missing from the table: one notice per cycle, whatever its case */
	modify(ld, S1, LDAP_MOD_REPLACE, "l", "ATLANTIS");
	modify(ld, S3, LDAP_MOD_ADD, "l", "atlantis");
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert_int_eq(sh("grep -ci 'location \"atlantis\" is not in matching.timezones' %s/mentord.err | grep -qx 1",
			    td.dir), 0);
	/* s1 has no known time zone now: no limit for it, j1 takes it */
	ck_assert_int_eq(pairs_of(ld, J1, S1), 1);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(trained_mentors_and_excluded_groups)
{
	LDAP *ld;
	start(NULL, NULL, "trained_mentors = \"" TRAINED "\"; excluded = \"" EXCLUDED "\";",
	      "matching = { bonus = { stability = 0; }; };");
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	/* j1 (untrained) would take s1, and s2 (excluded) would be paired too */
	ck_assert_int_eq(pairs_of(ld, NULL, NULL), 1);
	ck_assert_int_eq(pairs_of(ld, J2, S1), 1);
	ck_assert_int_eq(mentorctl("explain j1"), 0);
	ck_assert(output_has("ctl.out", "not in the trained mentors group"));
	ck_assert_int_eq(mentorctl("explain s2"), 0);
	ck_assert(output_has("ctl.out", "is in the excluded group"));
	/* j1 trained now: j1 takes s1 */
	modify(ld, TRAINED, LDAP_MOD_ADD, "member", J1);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert_int_eq(pairs_of(ld, J1, S1), 1);
	ck_assert_int_eq(pairs_of(ld, NULL, S2), 0);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(cooldown_blocks_repairing)
{
	LDAP *ld;
	start(NULL, NULL, NULL, "matching = { cooldown_days = 30; bonus = { stability = 0; }; };");
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	assert_pairing(ld, 1);
	/* s1 leaves the programme: j1-s1 ends; s1 comes back: j1-s1 is cooling down */
	modify(ld, SENIORS, LDAP_MOD_DELETE, "member", S1);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert_int_eq(pairs_of(ld, NULL, S1), 0);
	modify(ld, SENIORS, LDAP_MOD_ADD, "member", S1);
	ck_assert_int_eq(mentord("--once"), 0);
	assert_pairing(ld, 0);
	/* without the cooldown the better pair is made again */
	configure(NULL, "matching = { cooldown_days = 0; bonus = { stability = 0; }; };");
	ck_assert_int_eq(mentord("--once"), 0);
	assert_pairing(ld, 1);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(explain_names_why_a_participant_is_alone)
{
	LDAP *ld;
	start(NULL, NULL, NULL, "matching = { cooldown_days = 30; };");
	ck_assert_int_eq(mentord("--once"), 0);
	ld = admin();
	ck_assert_int_eq(mentorctl("explain s3"), 0);
	ck_assert(output_has("ctl.out", "no eligible partner among 2 mentors; ruled out by:"));
	ck_assert_int_eq(sh("grep -q '^  mentor not younger  *2$' %s/ctl.out", td.dir), 0);
	/* s1 out and back: j1 is cooling down for s1 and j2 is taken by s2 */
	ck_assert_int_eq(mentorctl("forbid j2 s1"), 0);
	modify(ld, SENIORS, LDAP_MOD_DELETE, "member", S1);
	ck_assert_int_eq(mentord("--once"), 0);
	modify(ld, SENIORS, LDAP_MOD_ADD, "member", S1);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert_int_eq(mentorctl("explain s1"), 0);
	ck_assert(output_has("ctl.out", "no eligible partner among 2 mentors; ruled out by:"));
	ck_assert_int_eq(sh("grep -q '^  forbidden pair  *1$' %s/ctl.out", td.dir), 0);
	ck_assert_int_eq(sh("grep -q '^  cooldown  *1$' %s/ctl.out", td.dir), 0);
	/* allowed again, j2 is eligible for s1 but mentors s2 (its only partner) at full capacity */
	ck_assert_int_eq(mentorctl("unforbid j2 s1"), 0);
	ck_assert_int_eq(mentorctl("forbid j1 s2"), 0);
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert_int_eq(mentorctl("explain s1"), 0);
	ck_assert(output_has("ctl.out", "all 1 eligible partners are taken"));
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

START_TEST(manual_publish)
{
	LDAP *ld;
	char *before, *after;
	start(NULL, NULL, NULL, "matching = { publish = \"manual\"; };");
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert(output_has("mentord.err", "2 pairs proposed (2 new, 0 ended, 0 kept)"));
	ld = admin();
	ck_assert_int_eq(pairs_of(ld, NULL, NULL), 0);
	before = managed_csn(ld);
	ck_assert_int_eq(mentorctl("pairs --proposed --csv"), 0);
	ck_assert_int_eq(sh("test $(wc -l < %s/ctl.out) -eq 3", td.dir), 0);
	ck_assert(output_has("ctl.out", "Person j1,j1@example.com,Y,,Person s1,s1@example.com,Baby Boomers,,3,new,"));
	ck_assert_int_eq(mentorctl("pairs --proposed --json"), 0);
	ck_assert(output_has("ctl.out", "\"score\": 3, \"status\": \"new\""));
	/* explain --proposed shows the proposed pair term by term; explain alone, the pairs in force (none) */
	ck_assert_int_eq(mentorctl("explain --proposed j1"), 0);
	ck_assert(output_has("ctl.out", "Person j1 (Y, no department) would mentor Person s1 (Baby Boomers, no department)"));
	ck_assert(output_has("ctl.out", "proposed by cycle #1, a new pair"));
	ck_assert(output_has("ctl.out", "score = areas + cross-department + time zone = 3"));
	ck_assert_int_eq(mentorctl("explain j1"), 0);
	ck_assert(output_has("ctl.out", "is an eligible mentor without a pair after the last cycle"));
	ck_assert_int_eq(mentorctl("explain --proposed s3"), 0);
	ck_assert(output_has("ctl.out", "is an eligible mentee without a pair in the proposed pairs"));
	ck_assert_int_eq(mentorctl("explain --proposed"), 2);
	ck_assert_int_eq(mentorctl("pairs --csv"), 0);
	ck_assert_int_eq(sh("test $(wc -l < %s/ctl.out) -eq 1", td.dir), 0);
	ck_assert_int_eq(mentorctl("status"), 0);
	ck_assert(output_has("ctl.out", "proposed, not written (mentorctl publish)"));
	/* nothing was written below the managed OU */
	after = managed_csn(ld);
	ck_assert((!before && !after) || (before && after && strcmp(before, after) == 0));
	free(before);
	free(after);
	/* publish writes exactly the proposals */
	ck_assert_int_eq(mentorctl("publish"), 0);
	ck_assert(output_has("ctl.err", "publish ok"));
	assert_pairing(ld, 1);
	ck_assert_int_eq(mentorctl("status"), 0);
	ck_assert(output_has("ctl.out", "participants: 2 juniors, 3 seniors"));
	ck_assert(output_has("ctl.out", "pairs:        2 (2 new, 0 ended, 0 kept)"));
	ck_assert_int_eq(mentorctl("pairs --proposed --csv"), 0);
	ck_assert_int_eq(sh("test $(wc -l < %s/ctl.out) -eq 1", td.dir), 0);
	ck_assert_int_eq(mentorctl("pairs --json"), 0);
	ck_assert(output_has("ctl.out", "\"score\": 3"));
	ck_assert_int_eq(mentorctl("publish"), 1);
	ck_assert(output_has("ctl.err", "no proposed pairs to publish"));
	ck_assert_int_eq(mentorctl("explain --proposed j1"), 1);
	ck_assert(output_has("ctl.err", "no proposed pairs"));
	/* the next proposals keep the published pairs */
	ck_assert_int_eq(mentord("--once"), 0);
	ck_assert_int_eq(mentorctl("pairs --proposed --csv"), 0);
	ck_assert_int_eq(sh("grep -c ',kept,' %s/ctl.out | grep -qx 2", td.dir), 0);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
END_TEST

static Suite *programme_suite(void)
{
	Suite *s = suite_create("programme");
	TCase *tc = tcase_create("rules");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, stability_keeps_pairs_and_counts_changes);
	tcase_add_test(tc, pins_and_forbids);
	tcase_add_test(tc, two_mentors_per_senior);
	tcase_add_test(tc, avoid_lists);
	tcase_add_test(tc, time_zones_from_locations);
	tcase_add_test(tc, trained_mentors_and_excluded_groups);
	tcase_add_test(tc, cooldown_blocks_repairing);
	tcase_add_test(tc, explain_names_why_a_participant_is_alone);
	tcase_add_test(tc, manual_publish);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(programme_suite());
}
