/* Unit tests for the container hardening rules: what they find and what
 * that does to a decision (tg_hardening_check, tg_hardening_apply), and the
 * "container" sections of a policy (tg_policy_parse). Bodies are decoded
 * as in test_container.c. Each group is a table, with JSON written with '
 * for " (json() turns them back). */
#include "container_util.h"

#include "authz/decide.h"
#include "authz/hardening.h"
#include "authz/policy.h"
#include "authz/reference.h"

/* ---- 3. findings and decisions ---- */

#define UNKNOWN_USER "?" /* image_user: the image's user could not be read */

struct hard_case {
	const char *top;        /* the policy's "container" (' for "), NULL: none */
	const char *rule_c;     /* the 'container' of rule 2 (docker.io/special/...), NULL: none */
	bool audit;             /* "mode": "audit" */
	const char *image;      /* NULL: "app/x:1" (rule 1, "*") */
	bool no_rule;           /* decide with no rule: the policy's settings alone */
	enum tg_container_kind kind;
	const char *body;       /* ' for " */
	const char *resolved;   /* the first mount's resolved path, NULL: "" */
	const char *image_user; /* NULL: "app" (not root); UNKNOWN_USER */
	const char *data_root;  /* NULL: "" */
	bool start_denied;      /* the decision handed in is already a deny */
	enum tg_verdict verdict;
	size_t n;               /* findings listed */
	const char *msg[3];     /* substrings of the message (allowed: it is unchanged) */
	const char *warn[5];    /* substrings of the warnings; none given: they are "" */
	const char *absent[3];  /* in neither */
};

#define DENY TG_VERDICT_DENY
#define ROOT_FIX "(fix: run as another user: --user 1000 (or set USER in the image))"
#define RO_FIX(src, dst)                                                                 \
	"(fix: mount it read-only (-v " src ":" dst ":ro, or --mount type=bind,src=" src \
	",dst=" dst ",readonly))"

static const struct hard_case hard_cases[] = {
	/* 0: the defaults */
	{.body = "{'Image':'app/x:1'}", .n = 0},
	{.body = HC("'Privileged':true"), .verdict = DENY, .n = 1,
	 .msg = {"container create of image app/x:1 is not allowed by the host's container rules: "
	         "--privileged gives the container every capability and the host's devices (fix: run "
	         "without --privileged (add only the capabilities it needs with --cap-add)). An admin "
	         "can relax a setting for this image in p.json (\"container\" in rule 1 (\"*\"))"}},
	{.body = HC("'CapAdd':['net_admin']"), .verdict = DENY, .n = 1,
	 .msg = {"--cap-add NET_ADMIN adds a capability the policy does not allow (fix: drop that "
	         "--cap-add)"}},
	{.body = HC("'Devices':[{'PathOnHost':'/dev/sda'}]"), .verdict = DENY, .n = 1,
	 .msg = {"--device /dev/sda gives the container a host device (fix: remove it (a device "
	         "gives direct access to host hardware))"}},
	{.body = HC("'SecurityOpt':['seccomp=unconfined']"), .verdict = DENY, .n = 1,
	 .msg = {"--security-opt seccomp=unconfined turns a kernel protection off (fix: remove that "
	         "option (keep Docker's seccomp, AppArmor and /proc protections))"}},
	/* 5 */
	{.body = HC("'NetworkMode':'host'"), .verdict = DENY, .n = 1,
	 .msg = {"--network host shares the host's namespace (fix: use a container network "
	         "(--network NAME, or none))"}},
	{.body = HC("'NetworkMode':'host','PidMode':'host','IpcMode':'host','UTSMode':'host','UsernsMode':"
	            "'host','CgroupnsMode':'host'"),
	 .verdict = DENY, .n = 6,
	 .msg = {"--pid host shares the host's namespace (fix: drop --pid host); --ipc host shares",
	         "--uts host shares the host's namespace (fix: drop --uts host); --userns host shares "
	         "the host's namespace (fix: drop --userns host); --cgroupns host shares the host's "
	         "namespace (fix: drop --cgroupns host (use --cgroupns private))"}},
	{.body = "{'Image':'app/x:1','User':'root'}", .n = 1,
	 .warn = {"--user root runs as root " ROOT_FIX}},
	{.body = "{'Image':'app/x:1'}", .image_user = "", .n = 1,
	 .warn = {"no --user is given and the image's user is root (none set) " ROOT_FIX}},
	{.body = "{'Image':'app/x:1'}", .image_user = UNKNOWN_USER, .n = 1,
	 .warn = {"no --user is given and the image's user could not be read, so it is taken as root"}},
	/* 10 */
	{.body = "{'Image':'app/x:1'}", .image_user = "0:0", .n = 1,
	 .warn = {"no --user is given and the image's user is 0:0"}},
	{.body = "{'Image':'app/x:1','User':'1000'}", .image_user = "", .n = 0},
	{.body = "{'Image':'app/x:1','User':''}", .image_user = "root", .n = 1,
	 .warn = {"the image's user is root"}},
	{.top = "{'run_as_root':'deny'}", .body = "{'Image':'app/x:1','User':'0'}", .verdict = DENY,
	 .n = 1, .msg = {"--user 0 runs as root " ROOT_FIX}},
	{.top = "{'run_as_root':'allow'}", .body = "{'Image':'app/x:1','User':'0'}", .n = 0},
	/* 15: exec: the container's user; no root filesystem check */
	{.top = "{'read_only_rootfs':'deny'}", .kind = TG_SPEC_EXEC, .body = "{'Cmd':['sh']}",
	 .image_user = "root", .n = 1, .warn = {"no --user is given and the container's user is root"}},
	{.kind = TG_SPEC_EXEC, .body = "{'Cmd':['sh'],'Privileged':true}", .verdict = DENY, .n = 1,
	 .msg = {"docker exec of image app/x:1 is not allowed by the host's container rules: "
	         "--privileged"}},
	{.top = "{'read_only_rootfs':'deny'}", .body = "{'Image':'app/x:1'}", .verdict = DENY, .n = 1,
	 .msg = {"the container's root filesystem is writable (fix: add --read-only (with --tmpfs /tmp "
	         "for scratch space))"}},
	{.top = "{'read_only_rootfs':'deny'}", .body = HC("'ReadonlyRootfs':true"), .n = 0},
	{.body = "{'Image':'app/x:1','Env':['DB_PASSWORD=x','api_token=y','AWS_SECRET_ACCESS_KEY=z',"
	         "'SSH_KEY=k','GPG_PASSWD=p','DB_PASSWORD_FILE=/run/s','PATH=/bin','KEYBOARD=us',"
	         "'MY_PASSWORD=','OTHER_TOKEN']}",
	 .n = 5,
	 .warn = {"environment variable DB_PASSWORD holds a literal value, readable by anyone who can "
	          "inspect the container (fix: pass it in a file instead (a secret, or --mount of a "
	          "file the process reads))",
	          "variable api_token holds", "variable AWS_SECRET_ACCESS_KEY holds",
	          "variable SSH_KEY holds", "variable GPG_PASSWD holds"},
	 .absent = {"DB_PASSWORD_FILE", "variable PATH", "KEYBOARD"}},
	/* 20 */
	{.top = "{'env_secrets':'deny'}", .body = "{'Image':'app/x:1','Env':['MY_SECRET=x']}",
	 .verdict = DENY, .n = 1, .msg = {"environment variable MY_SECRET holds a literal value"}},
	/* bind mounts: protected paths */
	{.body = HC("'Binds':['/etc:/x']"), .verdict = DENY, .n = 1,
	 .msg = {"-v /etc:/x mounts /etc writable, and /etc is a protected host path "
	         RO_FIX("/etc", "/x")}},
	{.body = HC("'Binds':['/etc:/x:ro']"), .n = 0},
	{.body = HC("'Binds':['/etc/ssl:/x']"), .verdict = DENY, .n = 1,
	 .msg = {"-v /etc/ssl:/x mounts /etc/ssl writable, and /etc is a protected host path"}},
	{.body = HC("'Binds':['/var/lib:/x']"), .verdict = DENY, .n = 1,
	 .msg = {"-v /var/lib:/x mounts /var/lib writable, and /var/lib/docker is a protected host path"}},
	/* 25: API sockets, even read-only */
	{.body = HC("'Binds':['/var:/x:ro']"), .verdict = DENY, .n = 1,
	 .msg = {"-v /var:/x:ro exposes /var/run/docker.sock, which is never mounted into a container "
	         "(fix: do not mount it: read-only or not, an API socket controls the daemon behind "
	         "it, and what is mounted under /proc, /sys or /dev stays writable)"}},
	{.body = HC("'Binds':['/:/host:ro']"), .verdict = DENY, .n = 1,
	 .msg = {"-v /:/host:ro exposes /run/docker.sock"}},
	{.body = HC("'Binds':['/:/host']"), .verdict = DENY, .n = 1,
	 .msg = {"-v /:/host exposes /run/docker.sock"}},
	{.body = HC("'Binds':['/run/docker.sock:/s:ro']"), .verdict = DENY, .n = 1,
	 .msg = {"-v /run/docker.sock:/s:ro exposes /run/docker.sock"}},
	{.body = HC("'Binds':['/srv/data:/d','/home/u/src:/src:ro']"), .n = 0},
	/* 30: bind_paths and writable_bind_paths, component-wise */
	{.top = "{'bind_paths':['/srv']}", .body = HC("'Binds':['/srv2/x:/d:ro']"), .verdict = DENY,
	 .n = 1,
	 .msg = {"-v /srv2/x:/d:ro mounts host path /srv2/x, which is not under the policy's bind_paths "
	         "(fix: mount a path under an allowed one, or use a volume)"}},
	{.top = "{'bind_paths':['/srv']}", .body = HC("'Binds':['/srv/x:/d','/srv:/e']"), .n = 0},
	{.top = "{'bind_paths':['/srv']}", .body = HC("'Binds':['/etc:/x:ro']"), .verdict = DENY, .n = 1,
	 .msg = {"not under the policy's bind_paths"}},
	{.top = "{'writable_bind_paths':['/srv/data']}",
	 .body = HC("'Binds':['/srv/other:/d','/srv/data/x:/e','/srv/other:/f:ro']"), .verdict = DENY,
	 .n = 1,
	 .msg = {"-v /srv/other:/d mounts host path /srv/other writable, outside the policy's "
	         "writable_bind_paths " RO_FIX("/srv/other", "/d")},
	 .absent = {"/srv/data/x", "/f"}},
	{.top = "{'writable_bind_paths':['/srv/data']}", .body = HC("'Binds':['/srv/data2:/d']"),
	 .verdict = DENY, .n = 1, .msg = {"mounts host path /srv/data2 writable, outside"}},
	/* 35: dockerd's data root (a fact) */
	{.body = HC("'Binds':['/data:/d']"), .data_root = "/data/docker", .verdict = DENY, .n = 1,
	 .msg = {"-v /data:/d mounts /data writable, and /data/docker is a protected host path"}},
	{.body = HC("'Binds':['/data/docker/volumes/v:/d']"), .data_root = "/data/docker",
	 .verdict = DENY, .n = 1, .msg = {"and /data/docker is a protected host path"}},
	{.body = HC("'Binds':['/data2:/d','/data:/e:ro']"), .data_root = "/data/docker", .n = 0},
	/* the resolved path is judged, the source is shown */
	{.body = HC("'Binds':['/srv/link:/x']"), .resolved = "/etc", .verdict = DENY, .n = 1,
	 .msg = {"-v /srv/link:/x mounts /etc writable, and /etc is a protected host path "
	         RO_FIX("/srv/link", "/x")}},
	{.body = HC("'Binds':['/srv/link:/s:ro']"), .resolved = "/run/docker.sock", .verdict = DENY,
	 .n = 1, .msg = {"-v /srv/link:/s:ro exposes /run/docker.sock"}},
	/* 40 */
	{.body = HC("'Binds':['/etc/link:/x']"), .resolved = "/srv/real", .n = 0},
	/* unresolved: dockerd cleans the path (path.Clean) and mounts /etc */
	{.body = HC("'Binds':['/tmp/../etc:/x']"), .verdict = DENY, .n = 1,
	 .msg = {"and /etc is a protected host path"}},
	/* --mount and local volumes binding a host path */
	{.body = HC("'Mounts':[{'Type':'bind','Source':'/etc','Target':'/x'}]"), .verdict = DENY, .n = 1,
	 .msg = {"--mount src=/etc,dst=/x mounts /etc writable, and /etc is a protected host path"}},
	{.body = HC("'Mounts':[{'Type':'bind','Source':'/etc','Target':'/x','ReadOnly':true}]"), .n = 0},
	{.body = HC("'Mounts':[{'Type':'volume','Source':'v','Target':'/x','VolumeOptions':{"
	            "'DriverConfig':{'Options':{'type':'none','o':'bind','device':'/root'}}}}]"),
	 .verdict = DENY, .n = 1, .msg = {"--mount src=/root,dst=/x mounts /root writable"}},
	/* 45 */
	{.body = HC("'Binds':['vol:/x','/anon'],'Mounts':[{'Type':'tmpfs','Target':'/t'}]"), .n = 0},
	{.top = "{'bind_mounts':'warn'}", .body = HC("'Binds':['/etc:/x']"), .n = 1,
	 .warn = {"-v /etc:/x mounts /etc writable"}},
	{.top = "{'bind_mounts':'allow'}", .body = HC("'Binds':['/run/docker.sock:/s']"), .n = 0},
	{.top = "{'protected_paths':['/opt/secrets']}", .body = HC("'Binds':['/etc:/x']"), .n = 0},
	{.top = "{'protected_paths':['/opt/secrets']}", .body = HC("'Binds':['/opt:/x']"),
	 .verdict = DENY, .n = 1, .msg = {"and /opt/secrets is a protected host path"}},
	/* 50 */
	{.top = "{'never_mounted':['/run/podman/podman.sock']}", .body = HC("'Binds':['/run:/r:ro']"),
	 .verdict = DENY, .n = 1, .msg = {"-v /run:/r:ro exposes /run/podman/podman.sock"}},
	/* allowed capabilities */
	{.top = "{'allowed_capabilities':['cap_net_bind_service']}",
	 .body = HC("'CapAdd':['CAP_NET_BIND_SERVICE']"), .n = 0},
	{.top = "{'allowed_capabilities':['NET_BIND_SERVICE']}",
	 .body = HC("'CapAdd':['NET_BIND_SERVICE','SYS_ADMIN']"), .verdict = DENY, .n = 1,
	 .msg = {"--cap-add SYS_ADMIN adds"}, .absent = {"--cap-add NET_BIND_SERVICE"}},
	{.body = HC("'Capabilities':['CHOWN','NET_BIND_SERVICE','SYS_PTRACE']"), .verdict = DENY, .n = 1,
	 .msg = {"--cap-add SYS_PTRACE adds"}},
	{.top = "{'capabilities':'warn'}", .body = HC("'CapAdd':'ALL'"), .n = 1,
	 .warn = {"--cap-add ALL adds a capability the policy does not allow"}},
	/* 55: a rule's "container" overrides the policy's, setting by setting */
	{.rule_c = "{'host_pid':'allow'}", .image = "special/agent:1", .body = HC("'PidMode':'host'"),
	 .n = 0},
	{.rule_c = "{'host_pid':'allow'}", .body = HC("'PidMode':'host'"), .verdict = DENY, .n = 1,
	 .msg = {"--pid host shares", "(\"container\" in rule 1 (\"*\"))"}},
	{.rule_c = "{'host_pid':'allow'}", .image = "special/agent:1", .body = HC("'NetworkMode':'host'"),
	 .verdict = DENY, .n = 1,
	 .msg = {"container create of image special/agent:1 is not allowed", "--network host",
	         "in p.json (\"container\" in rule 2 (\"docker.io/special/*\"))"}},
	{.top = "{'bind_paths':['/srv']}", .rule_c = "{'bind_paths':['/opt']}", .image = "special/a:1",
	 .body = HC("'Binds':['/srv/x:/d']"), .verdict = DENY, .n = 1,
	 .msg = {"-v /srv/x:/d mounts host path /srv/x, which is not under the policy's bind_paths"}},
	{.top = "{'bind_paths':['/srv']}", .rule_c = "{'bind_paths':['/opt']}", .image = "special/a:1",
	 .body = HC("'Binds':['/opt/x:/d']"), .n = 0},
	/* 60 */
	{.top = "{'allowed_capabilities':['NET_BIND_SERVICE']}",
	 .rule_c = "{'allowed_capabilities':['SYS_TIME']}", .image = "special/a:1",
	 .body = HC("'CapAdd':['NET_BIND_SERVICE','SYS_TIME']"), .verdict = DENY, .n = 1,
	 .msg = {"--cap-add NET_BIND_SERVICE adds"}, .absent = {"SYS_TIME"}},
	{.top = "{'privileged':'warn'}", .rule_c = "{'privileged':'deny'}", .image = "special/a:1",
	 .body = HC("'Privileged':true"), .verdict = DENY, .n = 1, .msg = {"--privileged"}},
	{.top = "{'privileged':'warn'}", .body = HC("'Privileged':true"), .n = 1,
	 .warn = {"--privileged gives the container every capability"}},
	/* no rule: the policy's settings, and no rule in the message */
	{.no_rule = true, .body = HC("'Privileged':true"), .verdict = DENY, .n = 1,
	 .msg = {"An admin can relax a setting for this image in p.json (\"container\")"},
	 .absent = {"in rule"}},
	/* audit mode: a deny is allowed and marked */
	{.audit = true, .body = HC("'Privileged':true"), .verdict = TG_VERDICT_AUDIT_DENY, .n = 1,
	 .msg = {"is not allowed by the host's container rules: --privileged"}},
	/* 65: a decision already denied is left as it is */
	{.start_denied = true, .body = HC("'Privileged':true"), .verdict = DENY, .n = 1},
	/* denies and warnings together */
	{.body = "{'Image':'app/x:1','User':'root','Env':['API_TOKEN=1'],'HostConfig':{'Privileged':true,"
	         "'Binds':['/etc:/x']}}",
	 .verdict = DENY, .n = 4,
	 .msg = {"rules: --privileged gives the container every capability and the host's devices (fix: "
	         "run without --privileged (add only the capabilities it needs with --cap-add)); -v "
	         "/etc:/x mounts /etc writable"},
	 .warn = {"--user root runs as root " ROOT_FIX "; environment variable API_TOKEN holds"},
	 .absent = {"(and more)"}},
	/* services */
	{.kind = TG_SPEC_SERVICE,
	 .body = CS("'User':'1000','Mounts':[{'Type':'bind','Source':'/','Target':'/h','ReadOnly':true}]"),
	 .verdict = DENY, .n = 1,
	 .msg = {"service create of image app/x:1", "--mount src=/,dst=/h,readonly exposes"}},
	/* local volumes by type: host file systems are denied, plain and network ones are not */
	{.body = HC("'Mounts':[{'Type':'volume','Target':'/x','VolumeOptions':{'DriverConfig':{"
	            "'Options':{'type':'proc','device':'proc'}}}}]"),
	 .verdict = DENY, .n = 1, .msg = {"mounts a host file system (a local volume of type proc)"}},
	{.body = HC("'Mounts':[{'Type':'volume','Target':'/x','VolumeOptions':{'DriverConfig':{"
	            "'Name':'local','Options':{'type':'overlay','o':'lowerdir=/etc','device':'overlay'}}}}]"),
	 .verdict = DENY, .n = 1, .msg = {"(a local volume of type overlay)"}},
	{.body = HC("'Mounts':[{'Type':'volume','Target':'/x','VolumeOptions':{'DriverConfig':{"
	            "'Options':{'device':'/dev/sda1'}}}}]"),
	 .verdict = DENY, .n = 1, .msg = {"(a local volume of type (no type))"}},
	{.body = HC("'Mounts':[{'Type':'volume','Target':'/x','VolumeOptions':{'DriverConfig':{"
	            "'Options':{'type':'nfs','o':'addr=10.0.0.1','device':':/export'}}}},"
	            "{'Type':'volume','Target':'/y','VolumeOptions':{'DriverConfig':{"
	            "'Options':{'type':'tmpfs','device':'tmpfs'}}}},"
	            "{'Type':'volume','Target':'/z','VolumeOptions':{'DriverConfig':{"
	            "'Name':'rexray','Options':{'type':'proc'}}}}]"),
	 .n = 0},
};

static tg_policy *hard_policy(const struct hard_case *c)
{
	char text[2048];
	snprintf(text, sizeof(text),
	         "{'mode': '%s', 'rules': [{'match': '*', 'require': 'allow'}, {'match': "
	         "'docker.io/special/*', 'require': 'allow'%s%s}]%s%s}",
	         c->audit ? "audit" : "enforce", c->rule_c ? ", 'container': " : "",
	         c->rule_c ? c->rule_c : "", c->top ? ", 'container': " : "", c->top ? c->top : "");
	char *t = json(text);
	tg_policy *p = NULL;
	tg_error err;
	if (tg_policy_parse(t, strlen(t), "p.json", &p, &err) != 0)
		fail_msg("policy %s: %s", t, err.msg);
	free(t);
	return p;
}

static enum tg_op_kind op_kind(enum tg_container_kind kind)
{
	return kind == TG_SPEC_CREATE ? TG_OP_CREATE
	       : kind == TG_SPEC_EXEC ? TG_OP_EXEC
	                              : TG_OP_SERVICE_CREATE;
}

/* The spec a case's body decodes to (it must decode), with its resolved
 * path and facts. */
static tg_container_spec *hard_spec(const struct hard_case *c, tg_container_facts *facts)
{
	char *body = json(c->body);
	tg_container_spec *spec;
	tg_error err;
	if (decode(c->kind, body, &spec, &err) != TG_OK)
		fail_msg("body %s: %s", body, err.msg);
	free(body);
	if (c->resolved != NULL) {
		assert_true(spec->n_mounts > 0);
		snprintf(spec->mounts[0].resolved, sizeof(spec->mounts[0].resolved), "%s", c->resolved);
	}
	memset(facts, 0, sizeof(*facts));
	const char *user = c->image_user ? c->image_user : "app";
	facts->user_known = strcmp(user, UNKNOWN_USER) != 0;
	snprintf(facts->user, sizeof(facts->user), "%s", facts->user_known ? user : "");
	snprintf(facts->data_root, sizeof(facts->data_root), "%s", c->data_root ? c->data_root : "");
	return spec;
}

static bool check_hard_case(size_t i, const struct hard_case *c)
{
	tg_policy *p = hard_policy(c);
	tg_container_facts facts;
	tg_container_spec *spec = hard_spec(c, &facts);
	const char *image = c->image ? c->image : "app/x:1";
	const tg_rule *rule = NULL;
	tg_error err;
	if (!c->no_rule) {
		tg_reference ref;
		assert_int_equal(tg_reference_parse(image, &ref, &err), 0);
		rule = tg_authz_rule_for(p, &ref);
		assert_non_null(rule);
	}
	tg_container_rules rules;
	tg_policy_container_rules(p, rule, &rules);
	tg_hard_findings *f = malloc(sizeof(*f));
	assert_non_null(f);
	tg_hardening_check(&rules, spec, &facts, f);

	tg_operation op;
	memset(&op, 0, sizeof(op));
	op.kind = op_kind(c->kind);
	snprintf(op.image, sizeof(op.image), "%s", image);
	tg_decision d;
	memset(&d, 0, sizeof(d));
	const char *before = c->start_denied ? "image untrusted" : "image trusted";
	d.verdict = c->start_denied ? TG_VERDICT_DENY : TG_VERDICT_ALLOW;
	d.allow = !c->start_denied;
	d.rule = rule;
	snprintf(d.message, sizeof(d.message), "%s", before);
	tg_hardening_apply(p, &op, rule, f, &d);

	char why[256] = "";
	bool want_deny = c->verdict != TG_VERDICT_ALLOW;
	if (f->n != c->n || f->more != 0 || f->deny != want_deny)
		snprintf(why, sizeof(why), "findings n=%zu more=%zu deny=%d, want n=%zu deny=%d", f->n,
		         f->more, f->deny, c->n, want_deny);
	else if (d.verdict != c->verdict || d.allow != (c->verdict != TG_VERDICT_DENY))
		snprintf(why, sizeof(why), "verdict %s allow=%d, want %s", tg_verdict_name(d.verdict),
		         d.allow, tg_verdict_name(c->verdict));
	else if ((c->verdict == TG_VERDICT_ALLOW || c->start_denied) && strcmp(d.message, before) != 0)
		snprintf(why, sizeof(why), "message changed");
	for (size_t k = 0; why[0] == '\0' && k < 3 && c->msg[k] != NULL; k++)
		if (strstr(d.message, c->msg[k]) == NULL)
			snprintf(why, sizeof(why), "message lacks \"%.200s\"", c->msg[k]);
	if (why[0] == '\0' && c->warn[0] == NULL && d.warnings[0] != '\0')
		snprintf(why, sizeof(why), "unexpected warnings");
	for (size_t k = 0; why[0] == '\0' && k < 5 && c->warn[k] != NULL; k++)
		if (strstr(d.warnings, c->warn[k]) == NULL)
			snprintf(why, sizeof(why), "warnings lack \"%.200s\"", c->warn[k]);
	for (size_t k = 0; why[0] == '\0' && k < 3 && c->absent[k] != NULL; k++)
		if (strstr(d.message, c->absent[k]) != NULL || strstr(d.warnings, c->absent[k]) != NULL)
			snprintf(why, sizeof(why), "\"%.200s\" should not be there", c->absent[k]);
	if (why[0] != '\0')
		print_error("hardening case %zu (%s): %s\n  message: %s\n  warnings: %s\n", i, c->body,
		            why, d.message, d.warnings);
	free(f);
	free(spec);
	tg_policy_free(p);
	return why[0] == '\0';
}

static void test_hardening_table(void **state)
{
	size_t failed = 0, n = sizeof(hard_cases) / sizeof(hard_cases[0]);
	for (size_t i = 0; i < n; i++)
		failed += !check_hard_case(i, &hard_cases[i]);
	if (failed > 0)
		fail_msg("%zu of %zu hardening cases failed", failed, n);
}

/* The spec of a plain create, its facts and the container rules of a
 * policy whose "container" is top (' for ", NULL: none). */
static tg_container_spec *plain_spec(const char *top, tg_policy **p, tg_container_rules *rules,
                                     tg_container_facts *facts)
{
	const struct hard_case c = {.top = top, .body = "{}"};
	*p = hard_policy(&c);
	tg_policy_container_rules(*p, NULL, rules);
	return hard_spec(&c, facts);
}

static void create_op(tg_operation *op, tg_decision *d)
{
	memset(op, 0, sizeof(*op));
	op->kind = TG_OP_CREATE;
	snprintf(op->image, sizeof(op->image), "app/x:1");
	memset(d, 0, sizeof(*d));
	d->verdict = TG_VERDICT_ALLOW;
	d->allow = true;
}

/* More findings than TG_HARD_FINDINGS_MAX: the rest are counted in "more",
 * still deny, and the message says there are more and where to relax them. */
static void test_findings_cap(void **state)
{
	tg_policy *p;
	tg_container_rules rules;
	tg_container_facts facts;
	tg_container_spec *spec = plain_spec(NULL, &p, &rules, &facts);
	tg_hard_findings *f = malloc(sizeof(*f));
	assert_non_null(f);
	spec->privileged = true;
	spec->n_caps = TG_CONTAINER_LIST_MAX;
	for (size_t i = 0; i < spec->n_caps; i++)
		snprintf(spec->caps[i], sizeof(spec->caps[i]), "SYS_ADMIN");
	tg_hardening_check(&rules, spec, &facts, f);
	assert_int_equal(f->n, TG_HARD_FINDINGS_MAX);
	assert_int_equal(f->more, 1 + TG_CONTAINER_LIST_MAX - TG_HARD_FINDINGS_MAX);
	assert_true(f->deny);
	assert_int_equal(f->f[0].setting, TG_HARD_PRIVILEGED);
	assert_int_equal(f->f[0].action, TG_HARD_DENY);
	assert_int_equal(f->f[TG_HARD_FINDINGS_MAX - 1].setting, TG_HARD_CAPABILITIES);
	assert_string_equal(f->f[1].what, "--cap-add SYS_ADMIN adds a capability the policy does not "
	                                  "allow");
	assert_string_equal(f->f[1].fix, "drop that --cap-add");

	tg_operation op;
	tg_decision d;
	create_op(&op, &d);
	tg_hardening_deny_unreadable(p, &op, &(tg_error){TG_EINVAL, "the bind \"x\" is bad"}, &d);
	assert_int_equal(d.verdict, TG_VERDICT_DENY);
	assert_string_equal(d.message, "container create of image app/x:1 is not allowed: how the "
	                               "container would run cannot be checked: the bind \"x\" is bad");

	create_op(&op, &d);
	tg_hardening_apply(p, &op, NULL, f, &d);
	assert_int_equal(d.verdict, TG_VERDICT_DENY);
	assert_false(d.allow);
	free(f);
	free(spec);
	tg_policy_free(p);
	assert_contains(d.message, "container create of image app/x:1 is not allowed by the host's "
	                           "container rules: --privileged");
	/* 24 findings do not fit in a message: the end of it must survive */
	assert_contains(d.message, " (and more). An admin can relax a setting for this image in p.json");
}

/* Warnings fill the list and the deny that follows them is only counted:
 * the message must still say what is denied. */
static void test_findings_cap_deny_after_warnings(void **state)
{
	tg_policy *p;
	tg_container_rules rules;
	tg_container_facts facts;
	tg_container_spec *spec = plain_spec("{'capabilities':'warn'}", &p, &rules, &facts);
	tg_hard_findings *f = malloc(sizeof(*f));
	assert_non_null(f);
	spec->n_caps = 30;
	for (size_t i = 0; i < spec->n_caps; i++)
		snprintf(spec->caps[i], sizeof(spec->caps[i]), "SYS_TIME");
	spec->n_mounts = 1;
	snprintf(spec->mounts[0].source, sizeof(spec->mounts[0].source), "/etc");
	snprintf(spec->mounts[0].target, sizeof(spec->mounts[0].target), "/x");
	spec->mounts[0].host_path = spec->mounts[0].from_binds = true;
	tg_hardening_check(&rules, spec, &facts, f);
	assert_int_equal(f->n, TG_HARD_FINDINGS_MAX);
	assert_int_equal(f->more, 30 - TG_HARD_FINDINGS_MAX + 1);
	assert_true(f->deny);
	tg_operation op;
	tg_decision d;
	create_op(&op, &d);
	tg_hardening_apply(p, &op, NULL, f, &d);
	free(f);
	free(spec);
	tg_policy_free(p);
	assert_int_equal(d.verdict, TG_VERDICT_DENY);
	assert_contains(d.warnings, "--cap-add SYS_TIME adds a capability the policy does not allow");
	assert_contains(d.message, "-v /etc:/x mounts /etc writable");
}

/* ---- 4. the policy's "container" sections ---- */

#define KNOWN_SETTINGS                                                                      \
	"(known: privileged, capabilities, allowed_capabilities, devices, security_options, " \
	"host_network, host_pid, host_ipc, host_uts, host_userns, host_cgroupns, run_as_root, " \
	"bind_mounts, bind_paths, writable_bind_paths, protected_paths, never_mounted, "          \
	"read_only_rootfs, env_secrets, comment)"

static const struct {
	const char *text; /* ' for " */
	const char *error;
} policy_cases[] = {
	{"{'container': {'privilegd': 'deny'}}",
	 "p.json:1:29: unknown container setting \"privilegd\" " KNOWN_SETTINGS},
	{"{'container': {'privileged': 'block'}}",
	 "p.json:1:30: must be \"allow\", \"warn\" or \"deny\""},
	{"{'container': {'host_pid': true}}", "p.json:1:28: must be \"allow\", \"warn\" or \"deny\""},
	{"{'container': {'bind_paths': '/srv'}}",
	 "p.json:1:30: \"bind_paths\" must be a list of at most 64 absolute paths"},
	{"{'container': {'allowed_capabilities': 'NET_ADMIN'}}",
	 "p.json:1:40: \"allowed_capabilities\" must be a list of at most 64 capability names"},
	{"{'container': {'bind_paths': ['/srv', 'srv']}}", "p.json:1:39: must be an absolute path"},
	{"{'container': {'protected_paths': [null]}}", "p.json:1:36: must be an absolute path"},
	{"{'container': {'writable_bind_paths':\n ['/srv/../etc']}}",
	 "p.json:2:2: \"writable_bind_paths\": paths may not contain \"..\""},
	{"{'container': {'allowed_capabilities': ['NET_ADMIN2']}}",
	 "p.json:1:41: must be a capability name (NET_ADMIN)"},
	{"{'container': {'allowed_capabilities': ['']}}",
	 "p.json:1:41: must be a capability name (NET_ADMIN)"},
	{"{'container': {'allowed_capabilities': ['NET ADMIN']}}",
	 "p.json:1:41: must be a capability name (NET_ADMIN)"},
	{"{'container': {'comment': 5}}", "p.json:1:27: \"comment\" must be a string"},
	{"{'container': []}", "p.json:1:15: \"container\" must be an object of settings"},
	{"{'rules': [{'match': '*', 'require': 'allow', 'container': 'strict'}]}",
	 "p.json:1:60: \"container\" must be an object of settings"},
	{"{'rules': [{'match': '*', 'require': 'allow',\n  'container': {'host_pid': 'allow', "
	 "'hostpid': 'allow'}}]}",
	 "p.json:2:49: unknown container setting \"hostpid\""},
	{"{'rules': [{'match': '*', 'require': 'allow', 'container': {'never_mounted': ['/run/./x/..']}}]}",
	 "p.json:1:78: \"never_mounted\": paths may not contain \"..\""},
};

static void test_policy_errors(void **state)
{
	size_t failed = 0, n = sizeof(policy_cases) / sizeof(policy_cases[0]);
	for (size_t i = 0; i < n; i++) {
		char *text = json(policy_cases[i].text);
		tg_policy *p = NULL;
		tg_error err;
		tg_error_clear(&err);
		int rc = tg_policy_parse(text, strlen(text), "p.json", &p, &err);
		if (rc != TG_EINVAL || p != NULL || strstr(err.msg, policy_cases[i].error) == NULL) {
			print_error("policy case %zu (%s): got %s \"%s\"; want TG_EINVAL \"%s\"\n", i,
			            policy_cases[i].text, tg_code_name(rc), err.msg, policy_cases[i].error);
			failed++;
		}
		tg_policy_free(p);
		free(text);
	}
	if (failed > 0)
		fail_msg("%zu of %zu policy cases failed", failed, n);

	/* a list of 65 */
	char text[2048] = "{\"container\": {\"bind_paths\": [";
	for (int i = 0; i < 65; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s\"/p%d\"", i ? "," : "", i);
	strcat(text, "]}}");
	tg_policy *p = NULL;
	tg_error err;
	assert_int_equal(tg_policy_parse(text, strlen(text), "p.json", &p, &err), TG_EINVAL);
	assert_string_equal(err.msg, "p.json:1:30: \"bind_paths\" must be a list of at most 64 "
	                             "absolute paths");
}

static void assert_list(const tg_container_rules *r, enum tg_hard_list l, const char *const *want,
                        size_t n)
{
	if (r->n_list[l] != n)
		fail_msg("%s: %zu entries, want %zu", tg_hard_list_key(l), r->n_list[l], n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(r->list[l][i], want[i]);
}

/* The defaults, paths normalized and capabilities upper-cased without
 * CAP_, and a rule's section overriding setting by setting and list by
 * list. */
static void test_policy_rules(void **state)
{
	static const enum tg_hard_action defaults[TG_HARD_COUNT] = {
		[TG_HARD_PRIVILEGED] = TG_HARD_DENY,       [TG_HARD_CAPABILITIES] = TG_HARD_DENY,
		[TG_HARD_DEVICES] = TG_HARD_DENY,          [TG_HARD_SECURITY_OPTIONS] = TG_HARD_DENY,
		[TG_HARD_HOST_NETWORK] = TG_HARD_DENY,     [TG_HARD_HOST_PID] = TG_HARD_DENY,
		[TG_HARD_HOST_IPC] = TG_HARD_DENY,         [TG_HARD_HOST_UTS] = TG_HARD_DENY,
		[TG_HARD_HOST_USERNS] = TG_HARD_DENY,      [TG_HARD_HOST_CGROUPNS] = TG_HARD_DENY,
		[TG_HARD_RUN_AS_ROOT] = TG_HARD_WARN,      [TG_HARD_BIND_MOUNTS] = TG_HARD_DENY,
		[TG_HARD_READ_ONLY_ROOTFS] = TG_HARD_ALLOW, [TG_HARD_ENV_SECRETS] = TG_HARD_WARN,
	};
	static const char *const protected[] = {
		"/etc", "/boot", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/root",
		"/var/lib/docker", "/var/lib/containerd", "/var/lib/trustgate", "/var/lib/kubelet",
		"/var/lib/dpkg", "/var/lib/apt", "/var/lib/rpm", "/var/spool/cron"};
	static const char *const sockets[] = {"/run/docker.sock", "/var/run/docker.sock", "/run/docker",
	                                      "/var/run/docker", "/run/containerd",
	                                      "/var/run/containerd", "/run/dbus", "/var/run/dbus",
	                                      "/run/systemd", "/proc", "/sys", "/dev"};
	static const char *const root[] = {"/"};
	tg_policy *p = NULL;
	tg_error err;
	assert_int_equal(tg_policy_parse("{\"rules\": []}", 13, "p.json", &p, &err), 0);
	tg_container_rules r;
	tg_policy_container_rules(p, NULL, &r);
	for (int s = 0; s < TG_HARD_COUNT; s++)
		if (r.action[s] != defaults[s])
			fail_msg("%s: %s, want %s", tg_hard_setting_key((enum tg_hard_setting)s),
			         tg_hard_action_name(r.action[s]), tg_hard_action_name(defaults[s]));
	assert_list(&r, TG_HARD_ALLOWED_CAPS, NULL, 0);
	assert_list(&r, TG_HARD_BIND_PATHS, root, 1);
	assert_list(&r, TG_HARD_WRITABLE_PATHS, root, 1);
	assert_list(&r, TG_HARD_PROTECTED, protected, 17);
	assert_list(&r, TG_HARD_NEVER_MOUNTED, sockets, 12);
	tg_policy_free(p);

	char *text = json(
		"{'rules': [{'match': '*', 'require': 'allow'},"
		" {'match': 'docker.io/agent/*', 'require': 'allow', 'container': {'host_pid': 'allow',"
		"  'writable_bind_paths': ['/var/log//agent/'], 'allowed_capabilities': []}}],"
		" 'container': {'run_as_root': 'deny', 'host_pid': 'warn',"
		"  'bind_paths': ['/srv//data/', '/./opt/.', '//', '/home/'],"
		"  'writable_bind_paths': ['/srv/data/./tmp'],"
		"  'allowed_capabilities': ['cap_net_admin', 'Net_Raw', 'CAP_SYS_TIME', 'chown'],"
		"  'comment': 'hardened'}}");
	assert_int_equal(tg_policy_parse(text, strlen(text), "p.json", &p, &err), 0);
	free(text);
	tg_policy_container_rules(p, NULL, &r);
	static const char *const binds[] = {"/srv/data", "/opt", "/", "/home"};
	static const char *const writable[] = {"/srv/data/tmp"};
	static const char *const caps[] = {"NET_ADMIN", "NET_RAW", "SYS_TIME", "CHOWN"};
	assert_list(&r, TG_HARD_BIND_PATHS, binds, 4);
	assert_list(&r, TG_HARD_WRITABLE_PATHS, writable, 1);
	assert_list(&r, TG_HARD_ALLOWED_CAPS, caps, 4);
	assert_list(&r, TG_HARD_PROTECTED, protected, 17);
	assert_int_equal(r.action[TG_HARD_RUN_AS_ROOT], TG_HARD_DENY);
	assert_int_equal(r.action[TG_HARD_HOST_PID], TG_HARD_WARN);
	assert_int_equal(r.action[TG_HARD_PRIVILEGED], TG_HARD_DENY);

	tg_reference ref;
	assert_int_equal(tg_reference_parse("agent/x:1", &ref, &err), 0);
	const tg_rule *agent = tg_authz_rule_for(p, &ref);
	assert_non_null(agent);
	assert_int_equal(agent->number, 2);
	tg_policy_container_rules(p, agent, &r);
	static const char *const agent_writable[] = {"/var/log/agent"};
	assert_int_equal(r.action[TG_HARD_HOST_PID], TG_HARD_ALLOW);
	assert_int_equal(r.action[TG_HARD_RUN_AS_ROOT], TG_HARD_DENY); /* inherited */
	assert_list(&r, TG_HARD_WRITABLE_PATHS, agent_writable, 1);   /* replaced */
	assert_list(&r, TG_HARD_ALLOWED_CAPS, NULL, 0);               /* replaced by [] */
	assert_list(&r, TG_HARD_BIND_PATHS, binds, 4);                /* inherited */

	assert_int_equal(tg_reference_parse("other/x:1", &ref, &err), 0);
	const tg_rule *other = tg_authz_rule_for(p, &ref);
	assert_non_null(other);
	assert_null(other->container);
	tg_policy_container_rules(p, other, &r);
	assert_int_equal(r.action[TG_HARD_HOST_PID], TG_HARD_WARN);
	assert_list(&r, TG_HARD_ALLOWED_CAPS, caps, 4);
	tg_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hardening_table),
		cmocka_unit_test(test_findings_cap),
		cmocka_unit_test(test_findings_cap_deny_after_warnings),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_policy_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
