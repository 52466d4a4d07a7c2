# render.awk: render schema/mentoring.def into one of the shipped schema forms.
#
#   awk -v form=schema -f schema/render.awk schema/mentoring.def   slapd.conf include
#   awk -v form=ldif   -f schema/render.awk schema/mentoring.def   cn=config LDIF
#   awk -v form=ad     -f schema/render.awk schema/mentoring.def   Active Directory LDIF
#
# The whole source is read and checked before anything is printed, so a bad
# source gives "file:line: message" on stderr, exit status 2 and no output.
# Written for POSIX awk: runs the same under mawk (Debian's default) and gawk.

BEGIN {
	if (form != "schema" && form != "ldif" && form != "ad")
		usage("form must be schema, ldif or ad (awk -v form=... -f render.awk mentoring.def)")
	ldap_syntax["string"] = "1.3.6.1.4.1.1466.115.121.1.15"
	ldap_syntax["integer"] = "1.3.6.1.4.1.1466.115.121.1.27"
	ldap_syntax["time"] = "1.3.6.1.4.1.1466.115.121.1.24"
	ldap_syntax["dn"] = "1.3.6.1.4.1.1466.115.121.1.12"
	ad_syntax["string"] = "2.5.5.12"; ad_omsyntax["string"] = 64
	ad_syntax["integer"] = "2.5.5.9"; ad_omsyntax["integer"] = 2
	ad_syntax["time"] = "2.5.5.11"; ad_omsyntax["time"] = 24
	ad_syntax["dn"] = "2.5.5.1"; ad_omsyntax["dn"] = 127
	# BER encoding of 1.3.12.2.1011.28.0.714 (object(DS-DN)), base64.
	ad_omclass["dn"] = "KwwCh3McAIVK"
	# Matching rules each syntax accepts, for each kind of rule.
	allow_rules("string", "equality", "caseIgnoreMatch caseExactMatch")
	allow_rules("string", "ordering", "caseIgnoreOrderingMatch caseExactOrderingMatch")
	allow_rules("string", "substr", "caseIgnoreSubstringsMatch caseExactSubstringsMatch")
	allow_rules("integer", "equality", "integerMatch")
	allow_rules("integer", "ordering", "integerOrderingMatch")
	allow_rules("time", "equality", "generalizedTimeMatch")
	allow_rules("time", "ordering", "generalizedTimeOrderingMatch")
	allow_rules("dn", "equality", "distinguishedNameMatch")
	ad_category["structural"] = 1
	ad_category["abstract"] = 2
	ad_category["auxiliary"] = 3
	arc = ""
	ad_arc = ""
	nattr = 0
	nclass = 0
	cur = ""
	failed = 0
}

# Record that syntax syn may use each rule in the blank-separated list for kind.
function allow_rules(syn, kind, list,    n, i, r) {
	n = split(list, r, " ")
	for (i = 1; i <= n; i++)
		rule_ok[syn SUBSEP kind SUBSEP r[i]] = 1
}

# Complain about the current source line and stop without output.
function fail(msg) {
	fail_at(FNR, msg)
}

# Complain about source line line and stop without output.
function fail_at(line, msg) {
	printf "%s:%d: %s\n", FILENAME, line, msg > "/dev/stderr"
	failed = 1
	exit 2
}

# Complain about how the script was called and stop without output.
function usage(msg) {
	printf "render.awk: %s\n", msg > "/dev/stderr"
	failed = 1
	exit 2
}

# Check a name: the project prefix, LDAP descr characters, unique across kinds.
function check_name(name) {
	if (name !~ /^mentoring[A-Za-z0-9-]*$/)
		fail("name '" name "' must start with 'mentoring' and hold only letters, digits and '-'")
	if (tolower(name) in name_seen)
		fail("name '" name "' is defined twice")
	name_seen[tolower(name)] = 1
}

# Check an item number: a positive decimal without leading zero, unique per kind.
function check_number(kind, n) {
	if (n !~ /^[1-9][0-9]*$/)
		fail(kind " number '" n "' must be a positive integer")
	if ((kind SUBSEP n) in number_seen)
		fail(kind " number " n " is used twice")
	number_seen[kind SUBSEP n] = 1
}

# Fail unless the current line has exactly n fields.
function want_fields(n, form_text) {
	if (NF != n)
		fail("expected: " form_text)
}

# Fail unless an attribute (want "attribute") or class (want "class") is open.
function want_current(want) {
	if (cur != want)
		fail("'" $1 "' must follow " (want == "attribute" ? "an attribute" : "a class") " line")
}

{ sub(/\r$/, "") }

/^[ \t]*(#|$)/ { next }

$1 == "arc" {
	want_fields(2, "arc OID")
	if (arc != "")
		fail("arc is given twice")
	if (nattr || nclass)
		fail("arc must come before every attribute and class")
	if ($2 !~ /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/)
		fail("arc '" $2 "' is not a numeric OID")
	arc = $2
	arc_line = FNR
	next
}

$1 == "ad-arc" {
	want_fields(2, "ad-arc OID")
	if (ad_arc != "")
		fail("ad-arc is given twice")
	if (nattr || nclass)
		fail("ad-arc must come before every attribute and class")
	if ($2 !~ /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/)
		fail("ad-arc '" $2 "' is not a numeric OID")
	ad_arc = $2
	ad_arc_line = FNR
	next
}

$1 == "attribute" {
	want_fields(5, "attribute N NAME string|integer|time|dn single|multi")
	if (arc == "")
		fail("arc must come first")
	check_number("attribute", $2)
	check_name($3)
	if (!($4 in ldap_syntax))
		fail("syntax '" $4 "' is not one of string, integer, time, dn")
	if ($5 != "single" && $5 != "multi")
		fail("values must be 'single' or 'multi', not '" $5 "'")
	nattr++
	a_num[nattr] = $2
	a_name[nattr] = $3
	a_syn[nattr] = $4
	a_single[nattr] = ($5 == "single")
	a_line[nattr] = FNR
	attr_index[tolower($3)] = nattr
	cur = "attribute"
	next
}

$1 == "class" {
	want_fields(4, "class N NAME auxiliary|structural|abstract")
	if (arc == "")
		fail("arc must come first")
	check_number("class", $2)
	check_name($3)
	if (!($4 in ad_category))
		fail("class kind '" $4 "' is not one of auxiliary, structural, abstract")
	nclass++
	c_num[nclass] = $2
	c_name[nclass] = $3
	c_kind[nclass] = $4
	c_must[nclass] = ""
	c_may[nclass] = ""
	c_line[nclass] = FNR
	cur = "class"
	next
}

$1 == "desc" {
	if (cur == "")
		fail("'desc' must follow an attribute or class line")
	text = $0
	sub(/^[ \t]*desc[ \t]*/, "", text)
	sub(/[ \t]+$/, "", text)
	if (text == "")
		fail("desc needs a text")
	if (text ~ /[^ -~]/)
		fail("desc must be printable ASCII")
	if (text ~ /['\\]/)
		fail("desc must not contain a quote or a backslash")
	if (text ~ /^[:<]/)
		fail("desc must not start with ':' or '<'")
	key = (cur == "attribute") ? "a" nattr : "c" nclass
	if (key in desc)
		fail("desc is given twice")
	desc[key] = text
	next
}

$1 == "equality" || $1 == "ordering" || $1 == "substr" {
	want_current("attribute")
	want_fields(2, $1 " RULE")
	if ((nattr SUBSEP $1) in rule)
		fail($1 " rule is given twice")
	if (!((a_syn[nattr] SUBSEP $1 SUBSEP $2) in rule_ok))
		fail($1 " rule '" $2 "' does not fit syntax " a_syn[nattr])
	rule[nattr SUBSEP $1] = $2
	next
}

$1 == "must" || $1 == "may" {
	want_current("class")
	if (NF < 2)
		fail("expected: " $1 " NAME...")
	for (field = 2; field <= NF; field++) {
		if (!(tolower($field) in attr_index))
			fail("'" $field "' is not an attribute defined above")
		if ((nclass SUBSEP tolower($field)) in in_class)
			fail("'" $field "' is listed twice in this class")
		in_class[nclass SUBSEP tolower($field)] = 1
		listed = a_name[attr_index[tolower($field)]]
		if ($1 == "must")
			c_must[nclass] = c_must[nclass] (c_must[nclass] == "" ? "" : " ") listed
		else
			c_may[nclass] = c_may[nclass] (c_may[nclass] == "" ? "" : " ") listed
	}
	next
}

{ fail("unknown directive '" $1 "'") }

# Fail unless every component of oid fits in 32 bits, as AD and Samba require.
function check_ad_oid(oid, line,    n, c, k) {
	n = split(oid, c, ".")
	for (k = 1; k <= n; k++)
		if (length(c[k]) > 10 || (length(c[k]) == 10 && (c[k] "") > "4294967295"))
			fail_at(line, "OID " oid " has a component above 2^32-1, which Samba " \
				"refuses; give an ad-arc for the AD form")
}

# Checks that need the whole source: every item is described, every attribute
# can be compared.
function check_complete(    i) {
	if (arc == "")
		usage(FILENAME ": no arc line")
	if (form == "ad")
		check_ad_oid(ad_arc != "" ? ad_arc : arc, ad_arc != "" ? ad_arc_line : arc_line)
	if (nattr == 0)
		usage(FILENAME ": no attribute defined")
	for (i = 1; i <= nattr; i++) {
		if (!(("a" i) in desc))
			fail_at(a_line[i], "attribute " a_name[i] " has no desc")
		if (!((i SUBSEP "equality") in rule))
			fail_at(a_line[i], "attribute " a_name[i] " has no equality rule")
	}
	for (i = 1; i <= nclass; i++) {
		if (!(("c" i) in desc))
			fail_at(c_line[i], "class " c_name[i] " has no desc")
	}
}

# The RFC 4512 definition of attribute i, one clause per line (joined by "\n").
function attr_def(i,    s, k, kinds) {
	s = "( " arc ".1." a_num[i] " NAME '" a_name[i] "'"
	s = s "\nDESC '" desc["a" i] "'"
	split("equality ordering substr", kinds, " ")
	for (k = 1; k <= 3; k++)
		if ((i SUBSEP kinds[k]) in rule)
			s = s "\n" (kinds[k] == "substr" ? "SUBSTR" : toupper(kinds[k])) " " rule[i SUBSEP kinds[k]]
	s = s "\nSYNTAX " ldap_syntax[a_syn[i]]
	if (a_single[i])
		s = s "\nSINGLE-VALUE"
	return s " )"
}

# An RFC 4512 list of attribute names: "a" or "( a $ b )".
function oid_list(names,    s) {
	s = names
	if (s !~ / /)
		return s
	gsub(/ /, " $ ", s)
	return "( " s " )"
}

# The RFC 4512 definition of object class i, one clause per line.
function class_def(i,    s) {
	s = "( " arc ".2." c_num[i] " NAME '" c_name[i] "'"
	s = s "\nDESC '" desc["c" i] "'"
	s = s "\nSUP top " toupper(c_kind[i])
	if (c_must[i] != "")
		s = s "\nMUST " oid_list(c_must[i])
	if (c_may[i] != "")
		s = s "\nMAY " oid_list(c_may[i])
	return s " )"
}

# Print a multi-line definition: first line after lead, the rest after cont.
function emit(lead, cont, def,    n, l, k) {
	n = split(def, l, "\n")
	print lead l[1]
	for (k = 2; k <= n; k++)
		print cont l[k]
}

# Print the "generated, do not edit" lines every rendered file starts with.
function generated(out) {
	print "# GENERATED from schema/mentoring.def by schema/render.awk: do not edit."
	print "# Regenerate with"
	print "#   awk -v form=" form " -f schema/render.awk schema/mentoring.def > schema/" out
}

function render_schema(    i) {
	print "# mentoring.schema: the mentord schema for a slapd.conf configuration."
	generated("mentoring.schema")
	print "#"
	print "# Use it with   include /etc/ldap/schema/mentoring.schema"
	print "# after core.schema, cosine.schema and inetorgperson.schema."
	print "# OIDs: " arc ".1.N attributes, .2.N object classes."
	for (i = 1; i <= nattr; i++) {
		print ""
		emit("attributetype ", "\t", attr_def(i))
	}
	for (i = 1; i <= nclass; i++) {
		print ""
		emit("objectclass ", "\t", class_def(i))
	}
}

function render_ldif(    i) {
	print "# mentoring.ldif: the mentord schema as a cn=config entry."
	generated("mentoring.ldif")
	print "#"
	print "# Add it to a running server (needs core, cosine and inetorgperson first):"
	print "#   ldapadd -Y EXTERNAL -H ldapi:/// -f mentoring.ldif"
	print "# or load it offline with"
	print "#   slapadd -n0 -F /etc/ldap/slapd.d -l mentoring.ldif"
	print "# OIDs: " arc ".1.N attributes, .2.N object classes."
	print ""
	print "dn: cn=mentoring,cn=schema,cn=config"
	print "objectClass: olcSchemaConfig"
	print "cn: mentoring"
	for (i = 1; i <= nattr; i++)
		emit("olcAttributeTypes: ", "  ", attr_def(i))
	for (i = 1; i <= nclass; i++)
		emit("olcObjectClasses: ", "  ", class_def(i))
}

# The DN of a schema object named name, with the ldifde placeholder DC=X.
function ad_dn(name) {
	return "CN=" name ",CN=Schema,CN=Configuration,DC=X"
}

# Ask the schema master to reload its schema cache (rootDSE operation).
function ad_schema_update_now() {
	print ""
	print "dn:"
	print "changetype: modify"
	print "add: schemaUpdateNow"
	print "schemaUpdateNow: 1"
	print "-"
}

function ad_attribute(i) {
	print ""
	print "dn: " ad_dn(a_name[i])
	print "changetype: add"
	print "objectClass: top"
	print "objectClass: attributeSchema"
	print "cn: " a_name[i]
	print "attributeID: " ad_root ".1." a_num[i]
	print "attributeSyntax: " ad_syntax[a_syn[i]]
	print "oMSyntax: " ad_omsyntax[a_syn[i]]
	if (a_syn[i] in ad_omclass)
		print "oMObjectClass:: " ad_omclass[a_syn[i]]
	print "isSingleValued: " (a_single[i] ? "TRUE" : "FALSE")
	# A DN attribute is a forward link, so the DC drops a value whose object
	# is deleted (as it does for member, and as refint does on OpenLDAP)
	# instead of keeping a tombstone DN. This OID asks the DC to assign the
	# link ID itself.
	if (a_syn[i] == "dn")
		print "linkID: 1.2.840.113556.1.2.50"
	print "lDAPDisplayName: " a_name[i]
	print "adminDisplayName: " a_name[i]
	print "adminDescription: " desc["a" i]
}

# Print one "name: value" line per blank-separated word of list.
function ad_values(name, list,    n, w, k) {
	n = split(list, w, " ")
	for (k = 1; k <= n; k++)
		print name ": " w[k]
}

function ad_class(i) {
	print ""
	print "dn: " ad_dn(c_name[i])
	print "changetype: add"
	print "objectClass: top"
	print "objectClass: classSchema"
	print "cn: " c_name[i]
	print "governsID: " ad_root ".2." c_num[i]
	print "lDAPDisplayName: " c_name[i]
	print "adminDisplayName: " c_name[i]
	print "adminDescription: " desc["c" i]
	print "objectClassCategory: " ad_category[c_kind[i]]
	print "subClassOf: top"
	print "defaultObjectCategory: " ad_dn(c_name[i])
	ad_values("mustContain", c_must[i])
	ad_values("mayContain", c_may[i])
}

function render_ad(    i) {
	ad_root = (ad_arc != "") ? ad_arc : arc
	print "# mentoring-ad.ldif: the mentord schema as an Active Directory schema extension."
	generated("mentoring-ad.ldif")
	print "#"
	print "# DNs end in the ldifde placeholder DC=X. Substitute the forest root domain"
	print "# when importing, as a member of Schema Admins, on the schema master:"
	print "#   ldifde -i -k -f mentoring-ad.ldif -c DC=X DC=corp,DC=example,DC=com"
	print "# or let ldifde look the schema container up itself:"
	print "#   ldifde -i -k -f mentoring-ad.ldif -c CN=Schema,CN=Configuration,DC=X \"#schemaNamingContext\""
	print "# Samba AD DC: substitute with sed and load with ldbmodify. ldbmodify applies"
	print "# a file as one transaction, in which the classes cannot see the new"
	print "# attributes yet, so load the attributes and the classes separately:"
	print "#   sed 's/,DC=X$/,DC=corp,DC=example,DC=com/' mentoring-ad.ldif > /tmp/m.ldif"
	print "#   csplit -s -f /tmp/m /tmp/m.ldif '/^dn:$/+5'    # /tmp/m00, /tmp/m01"
	print "#   for f in /tmp/m00 /tmp/m01; do ldbmodify -H /var/lib/samba/private/sam.ldb \\"
	print "#     --option='dsdb:schema update allowed=true' $f; done"
	print "# Over LDAP, one run loads the whole file, each entry its own operation:"
	print "#   ldapmodify -x -H ldap://DC -D ADMIN-DN -W -f /tmp/m.ldif"
	print "# On an existing entry an auxiliary class cannot be added in the same"
	print "# modify as its attributes (add the class first); mentoringPair, which"
	print "# requires mentoringMentor and mentoringMentee, can only be given when the"
	print "# group is created. DN attributes are forward links: the DC drops a value"
	print "# whose object is deleted."
	print "#"
	print "# Schema additions cannot be deleted later, only made defunct: try it in a"
	print "# test forest first. The classes are auxiliary; add them to the objectClass"
	print "# of individual users and groups (dynamic auxiliary classes). AD compares"
	print "# every string attribute case-insensitively, whatever the OpenLDAP rule says."
	print "# OIDs: " ad_root ".1.N attributes, .2.N classes"
	if (ad_root != arc)
		print "# (the project UUID in Microsoft's GUID-derived form, not " arc ":" \
			"\n# Samba refuses OID components of 2^32 and above)."
	for (i = 1; i <= nattr; i++)
		ad_attribute(i)
	# Classes may only name attributes the schema cache already knows.
	ad_schema_update_now()
	for (i = 1; i <= nclass; i++)
		ad_class(i)
	ad_schema_update_now()
}

END {
	if (failed)
		exit 2
	check_complete()
	if (form == "schema")
		render_schema()
	else if (form == "ldif")
		render_ldif()
	else
		render_ad()
}
