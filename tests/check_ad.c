/*
 * mentord against a real Samba AD DC, run by tests/ad.test inside the DC's
 * network namespace with the company it loaded (AD_* and SAMBA_* in the
 * environment): a GSSAPI bind with a keytab; range retrieval of a group of
 * 2,000 members; the full cycle written back as AD groups and a second cycle
 * that writes nothing; DirSync and uSNChanged incremental reads after a
 * modify and a delete; a DC whose invocationId changed; a rename with a move
 * between OUs that keeps the person and the pair; the delete of a paired
 * person that removes the pair; DirSync with more changed objects than one
 * search reads again. Tests run in the order listed, each with its
 * own state database, and some change the directory for those after them.
 */
#include "config.h"

#include <check.h>
#include <ldap.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "cycle.h"
#include "dir.h"
#include "lib/check_main.h"

/* The environment ad.test sets. */
static const char *env(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		fprintf(stderr, "check_ad: %s is not set; run tests/ad.test\n", name);
		exit(EXIT_FAILURE);
	}
	return v;
}

/* A path in the scratch directory (static buffer, one at a time). */
static const char *work_path(const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", env("AD_WORK"), name);
	return path;
}

/* "<rdn>,<base>" (static buffer, one of four). */
static const char *in_base(const char *rdn)
{
	static char bufs[4][1024];
	static int k;
	char *b = bufs[k++ % 4];
	snprintf(b, 1024, "%s,%s", rdn, env("SAMBA_BASE"));
	return b;
}

/*
 * Write the configuration for state database db and load it. directory_extra
 * goes into the directory group (e.g. ad_sync); without sasl, the
 * Administrator binds simply.
 */
static struct conf *config(const char *db, const char *directory_extra, const char *sasl_uri)
{
	char path[4096];
	FILE *fp;
	snprintf(path, sizeof(path), "%s", work_path("mentord.conf"));
	fp = fopen(path, "w");
	struct conf *cf = NULL;
	char *errors = NULL;
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "directory = {\n");
	if (sasl_uri)
		fprintf(fp, "  uri = \"%s\";\n  sasl_mech = \"GSSAPI\";\n", sasl_uri);
	else
		fprintf(fp, "  uri = \"%s\";\n  bind_dn = \"%s\";\n  password_file = \"%s\";\n", env("SAMBA_URI"),
			env("SAMBA_ADMIN_DN"), env("AD_BINDPW"));
	fprintf(fp, "  base = \"%s\";\n  page_size = 4;\n  %s\n};\n", env("SAMBA_BASE"),
		directory_extra ? directory_extra : "");
	fprintf(fp, "people = {\n  base = \"%s\";\n  filter = \"(&(objectClass=user)(objectCategory=person))\";\n"
		"  attributes = { id = \"objectGUID\"; department = \"department\"; };\n};\n",
		in_base("OU=Staff"));
	fprintf(fp, "participants = { juniors = \"%s\"; seniors = \"%s\"; };\n", in_base("CN=juniors,OU=Groups"),
		in_base("CN=seniors,OU=Groups"));
	fprintf(fp, "writeback = { ou = \"%s\"; };\n", in_base("OU=mentoring"));
	fprintf(fp, "state = { database = \"%s\"; };\n", work_path(db));
	ck_assert_int_eq(fclose(fp), 0);
	unlink(work_path(db));
	if (conf_load(path, &cf, &errors) != 0)
		ck_abort_msg("configuration refused: %s", errors);
	return cf;
}

/* One cycle that must succeed. */
static void cycle_ok(const struct conf *cf, struct cycle_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	ck_assert_msg(cycle_run(cf, 0, NULL, NULL, rep) == CYCLE_OK, "cycle failed: %s", rep->error);
}

/* An admin connection for changing the directory behind mentord's back. */
static LDAP *admin(void)
{
	LDAP *ld = NULL;
	int version = LDAP_VERSION3;
	struct berval cred = {strlen(env("SAMBA_ADMIN_PW")), (char *)env("SAMBA_ADMIN_PW")};
	ck_assert_int_eq(ldap_initialize(&ld, env("SAMBA_URI")), LDAP_SUCCESS);
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ck_assert_int_eq(ldap_sasl_bind_s(ld, env("SAMBA_ADMIN_DN"), LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL),
			 LDAP_SUCCESS);
	return ld;
}

/* Replace one attribute of dn with one value. */
static void replace(const char *dn, const char *attr, const char *value)
{
	LDAP *ld = admin();
	char *vals[] = {(char *)value, NULL};
	LDAPMod mod = {LDAP_MOD_REPLACE, (char *)attr, {vals}}, *mods[] = {&mod, NULL};
	ck_assert_int_eq(ldap_modify_ext_s(ld, dn, mods, NULL, NULL), LDAP_SUCCESS);
	ldap_unbind_ext_s(ld, NULL, NULL);
}

/* Number of entries below base matching filter (references ignored). */
static int count(const char *base, const char *filter)
{
	LDAP *ld = admin();
	LDAPMessage *res = NULL;
	char *attrs[] = {"1.1", NULL};
	int rc = ldap_search_ext_s(ld, base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL, NULL, 0, &res);
	int n = rc == LDAP_SUCCESS ? ldap_count_entries(ld, res) : rc == LDAP_NO_SUCH_OBJECT ? 0 : -1;
	ck_assert_msg(n >= 0, "search %s %s: %s", base, filter, ldap_err2string(rc));
	ldap_msgfree(res);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return n;
}

/* One text value from the state database (sqlite), or NULL. */
static char *db_text(const char *db, const char *sql_fmt, ...)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	char sql[1024], *out = NULL;
	va_list ap;
	va_start(ap, sql_fmt);
	vsnprintf(sql, sizeof(sql), sql_fmt, ap);
	va_end(ap);
	ck_assert_int_eq(sqlite3_open_v2(work_path(db), &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(h));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

/* Change one row of the state database. */
static void db_exec(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	ck_assert_int_eq(sqlite3_open(work_path(db), &h), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* Whether s looks like GUID text. */
static int is_guid(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
			return 0;
	return 1;
}

/* Load a configuration with this directory group; the errors (caller frees) or NULL when it loads. */
static char *config_errors(const char *directory)
{
	char path[4096], *errors = NULL;
	struct conf *cf = NULL;
	FILE *fp;
	snprintf(path, sizeof(path), "%s", work_path("bad.conf"));
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fprintf(fp, "directory = { uri = \"ldap://127.0.0.1/\"; base = \"dc=x\"; %s };\n"
		    "participants = { juniors = \"cn=j,dc=x\"; seniors = \"cn=s,dc=x\"; };\n", directory);
	ck_assert_int_eq(fclose(fp), 0);
	if (conf_load(path, &cf, &errors) == 0) {
		conf_free(cf);
		return NULL;
	}
	return errors;
}

/* The directory keys for AD: good values load, bad ones are named with file and line. */
START_TEST(test_config_keys)
{
	char *e;
	ck_assert_ptr_null(config_errors("type = \"ad\"; ad_sync = \"usn\"; sasl_mech = \"GSSAPI\";"));
	ck_assert_ptr_nonnull(e = config_errors("type = \"activedirectory\";"));
	ck_assert_msg(strstr(e, "bad.conf:1: directory.type: \"activedirectory\" is not one of \"auto\", "
				"\"openldap\", \"ad\""), "%s", e);
	free(e);
	ck_assert_ptr_nonnull(e = config_errors("ad_sync = \"replication\";"));
	ck_assert_msg(strstr(e, "directory.ad_sync: \"replication\" is not one of \"auto\", \"dirsync\", \"usn\""),
		      "%s", e);
	free(e);
	ck_assert_ptr_nonnull(e = config_errors("sasl_mech = \"GSSAPI\"; bind_dn = \"cn=a,dc=x\"; "
						"password_file = \"/nonexistent\";"));
	ck_assert_msg(strstr(e, "directory.sasl_mech: a SASL bind takes its identity from the Kerberos keytab"), "%s", e);
	free(e);
	ck_assert_ptr_nonnull(e = config_errors("sasl_mech = \"PLAIN\";"));
	ck_assert_msg(strstr(e, "directory.sasl_mech: \"PLAIN\" is not one of \"GSSAPI\", \"EXTERNAL\""), "%s", e);
	free(e);
}
END_TEST

/* Kerberos: a GSSAPI bind with the service account's keytab reads the staff. */
START_TEST(test_gssapi_bind)
{
	char uri[512];
	struct conf *cf;
	dir *d = NULL;
	struct dir_server s;
	snprintf(uri, sizeof(uri), "ldap://%s/", env("SAMBA_HOST"));
	setenv("KRB5_CLIENT_KTNAME", env("AD_KEYTAB"), 1);
	setenv("KRB5CCNAME", "MEMORY:check_ad", 1);
	cf = config("krb.db", "", uri);
	ck_assert_int_eq(dir_open(cf, &d), 0);
	ck_assert_int_eq(dir_server_info(d, &s), 0);
	ck_assert_int_eq(s.is_ad, 1);
	dir_server_clear(&s);
	dir_close(d);
	/*
	 * reading people needs an authenticated identity (anonymous binds see
	 * nothing on AD); the service account may neither write nor use DirSync,
	 * so: a dry run, people read by uSNChanged
	 */
	FILE *ldif = fopen(work_path("krb.ldif"), "w");
	struct cycle_report rep = {0};
	ck_assert_ptr_nonnull(ldif);
	ck_assert_msg(cycle_run(cf, 1, ldif, NULL, &rep) == CYCLE_OK, "dry run failed: %s", rep.error);
	fclose(ldif);
	ck_assert_int_eq(rep.sync.staff, 10);
	ck_assert_int_eq(rep.pairs, 4);
	/* without a key nor a ticket the bind fails, and says so */
	setenv("KRB5_CLIENT_KTNAME", work_path("no.keytab"), 1);
	setenv("KRB5CCNAME", "MEMORY:empty", 1);
	ck_assert_int_eq(dir_open(cf, &d), -1);
	conf_free(cf);
}
END_TEST

/* Entry callback: count the members dir_entry_values finds (all of them, by ranges if need be). */
static int count_members(const dir_entry *e, void *arg)
{
	char **values = dir_entry_values(e, "member");
	*(size_t *)arg = dir_values_count(values);
	dir_values_free(values);
	return 0;
}

/*
 * Range retrieval: 2,000 members in steps of 500, and in one piece when the
 * server decides; an entry that came with only a first range is completed
 * by dir_entry_values (as when Windows sends member;range=0-1499).
 */
START_TEST(test_ranges)
{
	struct conf *cf = config("ranges.db", "", NULL);
	dir *d = NULL;
	char **values = NULL;
	int requests = 0, bulk = atoi(env("AD_BULK"));
	ck_assert_int_eq(dir_open(cf, &d), 0);
	ck_assert_int_eq(dir_values_ranged(d, in_base("CN=big,OU=Bulk"), "member", 500, &values, &requests), 0);
	ck_assert_uint_eq(dir_values_count(values), (size_t)bulk);
	ck_assert_int_eq(requests, (bulk + 499) / 500);
	/* every member once */
	for (size_t i = 1; i < dir_values_count(values); i++)
		for (size_t j = 0; j < i && j < 5; j++)
			ck_assert_str_ne(values[i], values[j]);
	dir_values_free(values);
	ck_assert_int_eq(dir_values_ranged(d, in_base("CN=big,OU=Bulk"), "member", 0, &values, &requests), 0);
	ck_assert_uint_eq(dir_values_count(values), (size_t)bulk);
	ck_assert_int_eq(requests, 1);
	dir_values_free(values);
	const char *first_range[] = {"member;range=0-499", NULL};
	size_t members = 0;
	ck_assert_int_eq(dir_search(d, in_base("CN=big,OU=Bulk"), DIR_SCOPE_BASE, "(objectClass=*)", first_range,
				    count_members, &members), 0);
	ck_assert_uint_eq(members, (size_t)bulk);
	/* an attribute the entry lacks: no values, no error */
	ck_assert_int_eq(dir_values_ranged(d, in_base("CN=big,OU=Bulk"), "mentoringObjective", 500, &values,
					   &requests), 0);
	ck_assert_ptr_null(values);
	dir_close(d);
	conf_free(cf);
}
END_TEST

/* The full cycle: people by objectGUID, pairs written as AD groups; a second cycle writes nothing. */
START_TEST(test_cycle_twice)
{
	struct conf *cf = config("cycle.db", "type = \"ad\";", NULL);
	struct cycle_report rep;
	char *uuid;
	cycle_ok(cf, &rep);
	ck_assert_int_eq(rep.sync.staff, 10);
	ck_assert_int_eq(rep.sync.juniors, 4);
	ck_assert_int_eq(rep.sync.seniors, 4);
	ck_assert_int_eq(rep.pairs, 4);
	uuid = db_text("cycle.db", "SELECT uuid FROM staff WHERE name = 'junior1'");
	ck_assert_msg(is_guid(uuid), "stored id \"%s\" is not GUID text", uuid ? uuid : "(none)");
	free(uuid);
	ck_assert_int_eq(count(in_base("OU=pairs,OU=mentoring"),
			       "(&(objectClass=group)(objectClass=mentoringPair)(groupType=2)(sAMAccountName=mp-*)"
			       "(mentoringStarted=*)(mentoringStatus=active))"), 4);
	ck_assert_int_eq(count(in_base("OU=groups,OU=mentoring"), "(&(objectClass=group)(sAMAccountName=mg-*))"), 2);
	cycle_ok(cf, &rep);
	ck_assert_int_eq(rep.pairs, 4);
	ck_assert_int_eq(rep.changes.adds + rep.changes.modifies + rep.changes.deletes + rep.changes.conflicts, 0);
	conf_free(cf);
}
END_TEST

/* DirSync: a complete read first, then only what changed: a modified person, a deleted one. */
START_TEST(test_dirsync)
{
	struct conf *cf = config("dirsync.db", "ad_sync = \"dirsync\";", NULL);
	struct cycle_report rep;
	LDAP *ld;
	char *v;
	cycle_ok(cf, &rep);
	ck_assert_int_eq(rep.sync.mode, SYNC_MODE_PAGED);
	ck_assert_ptr_nonnull(v = db_text("dirsync.db", "SELECT value FROM sync_state WHERE name = 'ad_dirsync_cookie'"));
	free(v);
	replace(in_base("CN=junior1,OU=Staff"), "title", "Data Wrangler");
	ld = admin();
	ck_assert_int_eq(ldap_delete_ext_s(ld, in_base("CN=bystander1,OU=Staff"), NULL, NULL), LDAP_SUCCESS);
	ldap_unbind_ext_s(ld, NULL, NULL);
	cycle_ok(cf, &rep);
	ck_assert_int_eq(rep.sync.mode, SYNC_MODE_INCREMENTAL);
	ck_assert_int_eq(rep.sync.removed, 1);
	ck_assert_int_le(rep.sync.read, 3);
	ck_assert_int_eq(rep.sync.staff, 9);
	v = db_text("dirsync.db", "SELECT title FROM staff WHERE name = 'junior1'");
	ck_assert_str_eq(v ? v : "(none)", "Data Wrangler");
	free(v);
	ck_assert_ptr_null(db_text("dirsync.db", "SELECT uuid FROM staff WHERE name = 'bystander1'"));
	ck_assert_ptr_null(db_text("dirsync.db", "SELECT value FROM sync_state WHERE name = 'ad_usn'"));
	conf_free(cf);
}
END_TEST

/* uSNChanged: the mark kept with the DC's name and invocationId; changes after it; another database reads all. */
START_TEST(test_usn)
{
	struct conf *cf = config("usn.db", "ad_sync = \"usn\";", NULL);
	struct cycle_report rep;
	char *v;
	long long usn1, usn2;
	cycle_ok(cf, &rep);
	ck_assert_int_eq(rep.sync.mode, SYNC_MODE_PAGED);
	v = db_text("usn.db", "SELECT value FROM sync_state WHERE name = 'ad_usn_dc'");
	ck_assert_str_eq(v ? v : "(none)", env("SAMBA_HOST"));
	free(v);
	v = db_text("usn.db", "SELECT value FROM sync_state WHERE name = 'ad_usn_invocation'");
	ck_assert_msg(is_guid(v), "invocationId \"%s\" is not GUID text", v ? v : "(none)");
	free(v);
	v = db_text("usn.db", "SELECT value FROM sync_state WHERE name = 'ad_usn'");
	ck_assert_ptr_nonnull(v);
	usn1 = atoll(v);
	free(v);
	ck_assert_ptr_null(db_text("usn.db", "SELECT value FROM sync_state WHERE name = 'ad_dirsync_cookie'"));
	replace(in_base("CN=senior2,OU=Staff"), "title", "Chief Listener");
	cycle_ok(cf, &rep);
	ck_assert_int_eq(rep.sync.mode, SYNC_MODE_INCREMENTAL);
	ck_assert_int_le(rep.sync.read, 2);
	ck_assert_int_ge(rep.sync.read, 1);
	v = db_text("usn.db", "SELECT title FROM staff WHERE name = 'senior2'");
	ck_assert_str_eq(v ? v : "(none)", "Chief Listener");
	free(v);
	v = db_text("usn.db", "SELECT value FROM sync_state WHERE name = 'ad_usn'");
	usn2 = v ? atoll(v) : 0;
	free(v);
	ck_assert_int_gt(usn2, usn1);
	/* as if the DC's database had been restored: its invocationId changes, so everything is read */
	db_exec("usn.db", "UPDATE sync_state SET value = '00000000-0000-0000-0000-000000000001' "
			  "WHERE name = 'ad_usn_invocation'");
	cycle_ok(cf, &rep);
	ck_assert_int_eq(rep.sync.mode, SYNC_MODE_PAGED);
	ck_assert_int_eq(rep.sync.staff, 9);
	conf_free(cf);
}
END_TEST

/* A rename with a move to another OU keeps the person (objectGUID) and the pair. */
START_TEST(test_rename)
{
	struct conf *cf = config("rename.db", "", NULL);
	struct cycle_report rep;
	LDAP *ld;
	char *uuid1, *uuid2, *dn;
	long pairs;
	cycle_ok(cf, &rep);
	pairs = rep.pairs;
	uuid1 = db_text("rename.db", "SELECT uuid FROM staff WHERE name = 'senior1'");
	ck_assert_ptr_nonnull(uuid1);
	ld = admin();
	ck_assert_int_eq(ldap_add_ext_s(ld, in_base("OU=Moved,OU=Staff"), (LDAPMod *[]){
		&(LDAPMod){LDAP_MOD_ADD, "objectClass", {(char *[]){"organizationalUnit", NULL}}}, NULL}, NULL, NULL),
		LDAP_SUCCESS);
	ck_assert_int_eq(ldap_rename_s(ld, in_base("CN=senior1,OU=Staff"), "CN=senior1-renamed",
				       in_base("OU=Moved,OU=Staff"), 1, NULL, NULL), LDAP_SUCCESS);
	ldap_unbind_ext_s(ld, NULL, NULL);
	cycle_ok(cf, &rep);
	ck_assert_int_eq(rep.sync.mode, SYNC_MODE_INCREMENTAL);
	ck_assert_int_eq(rep.sync.staff, 9);
	ck_assert_int_eq(rep.pairs, pairs);
	ck_assert_int_eq(rep.changes.adds + rep.changes.deletes, 0);
	uuid2 = db_text("rename.db", "SELECT uuid FROM staff WHERE dn LIKE 'CN=senior1-renamed,OU=Moved,%%'");
	ck_assert_str_eq(uuid2 ? uuid2 : "(none)", uuid1);
	dn = db_text("rename.db", "SELECT count(*) FROM pairs WHERE mentee_uuid = '%s'", uuid1);
	ck_assert_str_eq(dn ? dn : "0", "1");
	free(dn);
	free(uuid1);
	free(uuid2);
	conf_free(cf);
}
END_TEST

/* Deleting a paired person (uSNChanged finds the tombstone): gone from the store, their pair group removed. */
START_TEST(test_delete_paired)
{
	struct conf *cf = config("delete.db", "ad_sync = \"usn\";", NULL);
	struct cycle_report rep;
	char filter[1024], *uuid, *pair_dn, *mentor_dn;
	LDAP *ld;
	cycle_ok(cf, &rep);
	uuid = db_text("delete.db", "SELECT mentor_uuid FROM pairs ORDER BY dn LIMIT 1");
	ck_assert_ptr_nonnull(uuid);
	pair_dn = db_text("delete.db", "SELECT dn FROM pairs WHERE mentor_uuid = '%s'", uuid);
	mentor_dn = db_text("delete.db", "SELECT dn FROM staff WHERE uuid = '%s'", uuid);
	ck_assert_ptr_nonnull(pair_dn);
	ck_assert_ptr_nonnull(mentor_dn);
	snprintf(filter, sizeof(filter), "(objectClass=group)");
	ck_assert_int_eq(count(pair_dn, filter), 1);
	ld = admin();
	ck_assert_int_eq(ldap_delete_ext_s(ld, mentor_dn, NULL, NULL), LDAP_SUCCESS);
	ldap_unbind_ext_s(ld, NULL, NULL);
	cycle_ok(cf, &rep);
	ck_assert_int_eq(rep.sync.mode, SYNC_MODE_INCREMENTAL);
	ck_assert_int_eq(rep.sync.removed, 1);
	ck_assert_ptr_null(db_text("delete.db", "SELECT uuid FROM staff WHERE uuid = '%s'", uuid));
	ck_assert_ptr_null(db_text("delete.db", "SELECT dn FROM pairs WHERE mentor_uuid = '%s'", uuid));
	ck_assert_int_ge(rep.changes.deletes, 1);
	ck_assert_int_eq(count(pair_dn, filter), 0);
	free(uuid);
	free(pair_dn);
	free(mentor_dn);
	conf_free(cf);
}
END_TEST

/*
 * DirSync with more changes than one search for changed objects asks for:
 * 60 new people, a modified one, and one moved out of the people base,
 * which is forgotten.
 */
START_TEST(test_dirsync_batches)
{
	struct conf *cf = config("batch.db", "ad_sync = \"dirsync\";", NULL);
	struct cycle_report rep;
	LDAP *ld;
	char *v, rdn[64];
	long staff;
	cycle_ok(cf, &rep);
	staff = rep.sync.staff;
	ld = admin();
	for (int i = 0; i < 60; i++) {
		char name[32];
		snprintf(name, sizeof(name), "extra%02d", i);
		snprintf(rdn, sizeof(rdn), "CN=%s,OU=Staff", name);
		ck_assert_int_eq(ldap_add_ext_s(ld, in_base(rdn), (LDAPMod *[]){
			&(LDAPMod){LDAP_MOD_ADD, "objectClass", {(char *[]){"user", NULL}}},
			&(LDAPMod){LDAP_MOD_ADD, "sAMAccountName", {(char *[]){name, NULL}}},
			&(LDAPMod){LDAP_MOD_ADD, "title", {(char *[]){"Extra", NULL}}}, NULL}, NULL, NULL),
			LDAP_SUCCESS);
	}
	ck_assert_int_eq(ldap_rename_s(ld, in_base("CN=senior3,OU=Staff"), "CN=senior3", in_base("OU=Bulk"), 1, NULL,
				       NULL), LDAP_SUCCESS);
	ldap_unbind_ext_s(ld, NULL, NULL);
	replace(in_base("CN=bystander2,OU=Staff"), "title", "Batch Tester");
	cycle_ok(cf, &rep);
	ck_assert_int_eq(rep.sync.mode, SYNC_MODE_INCREMENTAL);
	ck_assert_int_eq(rep.sync.removed, 1);
	ck_assert_int_eq(rep.sync.staff, staff + 60 - 1);
	v = db_text("batch.db", "SELECT count(*) FROM staff WHERE title = 'Extra' AND name LIKE 'extra%%'");
	ck_assert_str_eq(v ? v : "(none)", "60");
	free(v);
	v = db_text("batch.db", "SELECT title FROM staff WHERE name = 'bystander2'");
	ck_assert_str_eq(v ? v : "(none)", "Batch Tester");
	free(v);
	ck_assert_ptr_null(db_text("batch.db", "SELECT uuid FROM staff WHERE name = 'senior3'"));
	conf_free(cf);
}
END_TEST

static Suite *ad_suite(void)
{
	Suite *s = suite_create("ad");
	TCase *tc = tcase_create("samba");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_config_keys);
	tcase_add_test(tc, test_gssapi_bind);
	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_cycle_twice);
	tcase_add_test(tc, test_dirsync);
	tcase_add_test(tc, test_usn);
	tcase_add_test(tc, test_rename);
	tcase_add_test(tc, test_delete_paired);
	tcase_add_test(tc, test_dirsync_batches);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_main(ad_suite());
}
