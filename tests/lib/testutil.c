/*
 * Helpers shared by the integration tests; see testutil.h.
 */
#include "config.h"

#include <check.h>
#include <ldap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

struct testdir td;
char conf_path[4200];

/* Path below the build tree. */
char *build_path(const char *rel)
{
	const char *top = getenv("top_builddir");
	static char buf[4][4200];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", top ? top : ".", rel);
	return buf[k];
}

/* Run a shell command, returning its exit status. */
int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int rc;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Write the mentord config for the running test server; extra is appended. */
void write_config(const char *uri, const char *seniors, const char *extra)
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
		"participants = { juniors = \"" JUNIORS "\"; seniors = \"%s\"; };\n"
		"state = { database = \"%s/mentord.db\"; };\n%s\n",
		uri, pw, seniors, td.dir, extra ? extra : "");
	fclose(fp);
}

/* Start slapd with a generated company of n staff and write a config for it. */
void start_company(int n)
{
	char ldif[4200];
	const char *ldifs[] = {ldif, NULL};
	const char *tmp = getenv("TMPDIR");
	int fd;
	snprintf(ldif, sizeof(ldif), "%s/mentord-company-XXXXXX", tmp ? tmp : "/tmp");
	ck_assert_int_ge(fd = mkstemp(ldif), 0);
	close(fd);
	ck_assert_int_eq(sh("%s -n %d -s 7 > %s", build_path("tests/gencompany"), n, ldif), 0);
	if (testdir_start(&td, ldifs) != 0)
		ck_abort_msg("slapd could not be started; see the messages above");
	remove(ldif);
	write_config(td.uri, SENIORS, NULL);
}

void teardown(void)
{
	testdir_stop(&td);
}

/* Run mentord with args against the test config; stderr goes to DIR/mentord.err. */
int mentord(const char *args)
{
	return sh("%s -c %s %s >%s/mentord.out 2>%s/mentord.err", build_path("src/mentord"), conf_path,
		  args, td.dir, td.dir);
}

/* Non-zero if the named output file of the last run contains text. */
int output_has(const char *file, const char *text)
{
	return sh("grep -qF -- '%s' %s/%s", text, td.dir, file) == 0;
}

/* An admin connection to the test server. */
LDAP *admin(void)
{
	LDAP *ld;
	int v3 = LDAP_VERSION3;
	struct berval pw = {6, "secret"};
	ck_assert_int_eq(ldap_initialize(&ld, td.uri), LDAP_SUCCESS);
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ck_assert_int_eq(ldap_sasl_bind_s(ld, "cn=admin," SUFFIX, LDAP_SASL_SIMPLE, &pw, NULL, NULL, NULL),
			 LDAP_SUCCESS);
	return ld;
}

/* Search and return the result chain (caller frees); NO_SUCH_OBJECT gives an empty chain. */
LDAPMessage *search(LDAP *ld, const char *base, int scope, const char *filter, char **attrs)
{
	LDAPMessage *res = NULL;
	int rc = ldap_search_ext_s(ld, base, scope, filter, attrs, 0, NULL, NULL, NULL, 0, &res);
	ck_assert_msg(rc == LDAP_SUCCESS || rc == LDAP_NO_SUCH_OBJECT, "search %s: %s", base, ldap_err2string(rc));
	return res;
}

/* Number of entries matching filter below base. */
int count(LDAP *ld, const char *base, const char *filter)
{
	char *attrs[] = {"1.1", NULL};
	LDAPMessage *res = search(ld, base, LDAP_SCOPE_SUBTREE, filter, attrs);
	int n = ldap_count_entries(ld, res);
	ldap_msgfree(res);
	return n;
}

/* The largest entryCSN below the managed OU: changes whenever anything is written there. */
char *managed_csn(LDAP *ld)
{
	char *attrs[] = {"entryCSN", NULL}, *best = NULL;
	LDAPMessage *res = search(ld, "ou=mentoring," SUFFIX, LDAP_SCOPE_SUBTREE, "(objectClass=*)", attrs);
	for (LDAPMessage *e = ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e)) {
		struct berval **v = ldap_get_values_len(ld, e, "entryCSN");
		if (v && (!best || strcmp(v[0]->bv_val, best) > 0)) {
			free(best);
			best = strndup(v[0]->bv_val, v[0]->bv_len);
		}
		ldap_value_free_len(v);
	}
	ldap_msgfree(res);
	return best;
}

