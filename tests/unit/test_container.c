/* Unit tests for how a container create, exec or service body is read
 * (tg_container_decode, exactly as dockerd would read it) and who counts as
 * root (tg_container_user_is_root). The rules themselves: test_hardening.c.
 *
 * Each group is a table. JSON in the tables is written with ' for " (json()
 * turns them back) so that a row stays readable; no input here needs a
 * literal '. A table runs every row and lists each failing one before
 * failing the test. */
#include "container_util.h"

#include "authz/decide.h"
#include "authz/hardening.h"
#include "authz/policy.h"
#include "authz/reference.h"

/* Append "; " (when out is not empty) and text to out. */
static void append(char *out, size_t n, const char *text)
{
	size_t len = strlen(out);
	snprintf(out + len, n - len, "%s%s", len ? "; " : "", text);
}

static void join(const char (*list)[TG_CONTAINER_TEXT_MAX], size_t count, const char *sep,
                 char *buf, size_t n)
{
	size_t len = strlen(buf);
	for (size_t i = 0; i < count && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? sep : "", list[i]);
}

/* Every field of a spec, one "name=value" part each, defaults left out:
 * "privileged; caps=A,B; devices=X|Y; weakened=X|Y; host=network,pid;
 *  user=U; mount=SRC>TARGET[,host][,ro][,binds]; rootfs-ro; env=A,B". */
static void render_spec(const tg_container_spec *s, char *out, size_t n)
{
	static const char *const ns_names[TG_NS_COUNT] = {"network", "pid",    "ipc",
	                                                  "uts",     "userns", "cgroupns"};
	char part[8192];
	out[0] = '\0';
	if (s->privileged)
		append(out, n, "privileged");
	if (s->n_caps > 0) {
		snprintf(part, sizeof(part), "caps=");
		join(s->caps, s->n_caps, ",", part, sizeof(part));
		append(out, n, part);
	}
	if (s->n_devices > 0) {
		snprintf(part, sizeof(part), "devices=");
		join(s->devices, s->n_devices, "|", part, sizeof(part));
		append(out, n, part);
	}
	if (s->n_weakened > 0) {
		snprintf(part, sizeof(part), "weakened=");
		join(s->weakened, s->n_weakened, "|", part,
		     sizeof(part));
		append(out, n, part);
	}
	part[0] = '\0';
	for (int ns = 0; ns < TG_NS_COUNT; ns++)
		if (s->host_ns[ns])
			snprintf(part + strlen(part), sizeof(part) - strlen(part), "%s%s",
			         part[0] ? "," : "host=", ns_names[ns]);
	if (part[0] != '\0')
		append(out, n, part);
	if (s->has_user || s->user[0] != '\0') {
		snprintf(part, sizeof(part), "%s=%s", s->has_user ? "user" : "user-unset", s->user);
		append(out, n, part);
	}
	for (size_t i = 0; i < s->n_mounts; i++) {
		const tg_container_mount *m = &s->mounts[i];
		snprintf(part, sizeof(part), "mount=%s>%s%s%s%s%s%s", m->source, m->target,
		         m->host_path ? ",host" : "", m->read_only ? ",ro" : "",
		         m->from_binds ? ",binds" : "", m->resolved[0] ? ",resolved=" : "", m->resolved);
		append(out, n, part);
	}
	if (s->read_only_rootfs)
		append(out, n, "rootfs-ro");
	if (s->n_env > 0) {
		snprintf(part, sizeof(part), "env=");
		join(s->env, s->n_env, ",", part, sizeof(part));
		append(out, n, part);
	}
}

/* ---- 1. decoding create, exec and service bodies ---- */

struct decode_case {
	enum tg_container_kind kind;
	const char *body; /* ' for "; NULL: the request has no body */
	int rc;
	const char *want; /* rc TG_OK: the spec as render_spec shows it; else a substring of
	                     the error */
	/* A body dockerd runs unsafely: decoding must refuse it (any error) or
	 * show what it does (want is then a substring of the rendered spec). */
	bool refuse_or_show;
};

#define C TG_SPEC_CREATE
#define X TG_SPEC_EXEC
#define S TG_SPEC_SERVICE
#define OK(kind, body, want) {kind, body, TG_OK, want, false}
#define ERR(kind, body, rc, msg) {kind, body, rc, msg, false}
#define RISKY(kind, body, shown) {kind, body, TG_OK, shown, true}

static const char msg_bind[] = "is not one dockerd accepts (HOST-PATH:CONTAINER-PATH[:ro])";
#define SECOPT(opt) "--security-opt " opt
#define PROC(f) "HostConfig." f " (what --security-opt systempaths=unconfined sets)"

static const struct decode_case decode_cases[] = {
	/* no body, empty bodies, not an object */
	ERR(C, NULL, TG_EINVAL, "the request reached trustgate without its body, so how the "
	                        "container would run cannot be checked"),
	ERR(X, NULL, TG_EINVAL, "without its body"),
	ERR(S, NULL, TG_EINVAL, "without its body"),
	OK(C, "null", ""),
	OK(C, "{}", ""),
	OK(C, "{'Image':'app/x:1','HostConfig':null}", ""),
	ERR(C, "[]", TG_EINVAL, "the request body is not a JSON object"),
	ERR(C, "{", TG_EINVAL, "the request body is not valid JSON"),
	ERR(C, "{'Image':'a','Image':'b'}", TG_EINVAL, "not valid JSON"),

	/* Binds: "-v" strings */
	OK(C, HC("'Binds':['/h:/c']"), "mount=/h>/c,host,binds"),
	OK(C, HC("'Binds':['/h:/c:ro']"), "mount=/h>/c,host,ro,binds"),
	OK(C, HC("'Binds':['/h:/c:ro,z']"), "mount=/h>/c,host,ro,binds"),
	OK(C, HC("'Binds':['/h:/c:Z,rslave,nocopy']"), "mount=/h>/c,host,binds"),
	OK(C, HC("'Binds':['/h:/c:rw']"), "mount=/h>/c,host,binds"),
	OK(C, HC("'Binds':['/h:/c:']"), "mount=/h>/c,host,binds"), /* dockerd: rw */
	OK(C, HC("'Binds':['vol:/c']"), "mount=vol>/c,binds"),
	OK(C, HC("'Binds':['vol:/c:ro']"), "mount=vol>/c,ro,binds"),
	OK(C, HC("'Binds':['/c']"), "mount=>/c,binds"),
	OK(C, HC("'Binds':['/a:/x','/b:/y:ro']"), "mount=/a>/x,host,binds; mount=/b>/y,host,ro,binds"),
	OK(C, HC("'Binds':null"), ""),
	ERR(C, HC("'Binds':['/h:/c:bogus']"), TG_EINVAL, "the bind \"/h:/c:bogus\" is not one dockerd "
	                                                 "accepts (HOST-PATH:CONTAINER-PATH[:ro])"),
	ERR(C, HC("'Binds':[':/c']"), TG_EINVAL, msg_bind),
	ERR(C, HC("'Binds':['/h:/c:ro:x']"), TG_EINVAL, msg_bind),
	ERR(C, HC("'Binds':['/h:ro']"), TG_EINVAL, msg_bind), /* a mode and no target */
	ERR(C, HC("'Binds':['/h:']"), TG_EINVAL, msg_bind),
	ERR(C, HC("'Binds':'/etc:/x'"), TG_EINVAL, "\"Binds\" must be a list"),
	ERR(C, HC("'Binds':[5]"), TG_EINVAL, "\"Binds\" must be a list of strings"),

	/* Mounts: "--mount" objects */
	OK(C, HC("'Mounts':[{'Type':'bind','Source':'/h','Target':'/c','ReadOnly':true}]"),
	   "mount=/h>/c,host,ro"),
	OK(C, HC("'Mounts':[{'Type':'bind','Source':'/h','Target':'/c','ReadOnly':false}]"),
	   "mount=/h>/c,host"),
	OK(C, HC("'mounts':[{'type':'bind','source':'/h','target':'/c','readonly':true}]"),
	   "mount=/h>/c,host,ro"),
	OK(C, HC("'Mounts':[{'Type':'volume','Source':'vol','Target':'/c'}]"), "mount=vol>/c"),
	OK(C, HC("'Mounts':[{'Type':'tmpfs','Target':'/t'}]"), "mount=>/t"),
	OK(C, HC("'Mounts':[{'Type':'volume','Source':'v','Target':'/c','VolumeOptions':{'DriverConfig':"
	         "{'Options':{'type':'none','o':'bind','device':'/etc'}}}}]"),
	   "mount=/etc>/c,host"),
	OK(C, HC("'Mounts':[{'Type':'volume','Source':'v','Target':'/c','ReadOnly':true,'VolumeOptions':"
	         "{'DriverConfig':{'Name':'local','Options':{'type':'none','o':'bind',"
	         "'device':'/etc'}}}}]"),
	   "mount=/etc>/c,host,ro"),
	OK(C, HC("'Mounts':[{'Type':'volume','Source':'v','Target':'/c','VolumeOptions':{'DriverConfig':"
	         "{'Name':'nfsplugin','Options':{'device':'/etc'}}}}]"),
	   "mount=v>/c"),
	/* dockerd's cwd is /: a relative device binds /etc just the same (seen
	 * on dockerd 20.10.24: --mount ...,volume-opt=device=etc shows the
	 * host's /etc/passwd) */
	RISKY(C, HC("'Mounts':[{'Type':'volume','Source':'v','Target':'/c','VolumeOptions':"
	            "{'DriverConfig':{'Options':{'type':'none','o':'bind','device':'etc'}}}}]"),
	      ",host"),
	ERR(C, HC("'Mounts':{}"), TG_EINVAL, "\"Mounts\" must be a list"),
	ERR(C, HC("'Mounts':['/h:/c']"), TG_EINVAL, "\"Mounts\" must be a list of objects"),
	ERR(C, HC("'Mounts':[{'Type':'bind','Source':'/h','Target':'/c','ReadOnly':'yes'}]"), TG_EINVAL,
	    "\"ReadOnly\" must be true or false"),

	/* capabilities */
	OK(C, HC("'CapAdd':['NET_ADMIN','net_admin','CAP_NET_ADMIN','cap_net_admin']"),
	   "caps=NET_ADMIN,NET_ADMIN,NET_ADMIN,NET_ADMIN"),
	OK(C, HC("'CapAdd':'sys_admin'"), "caps=SYS_ADMIN"), /* Go's strslice: one string */
	OK(C, HC("'CapAdd':['all']"), "caps=ALL"),
	OK(C, HC("'Capabilities':['CAP_CHOWN','NET_RAW','sys_admin','CAP_NET_BIND_SERVICE','cap_sys_time',"
	         "'KILL','AUDIT_WRITE','SETFCAP']"),
	   "caps=SYS_ADMIN,SYS_TIME"),
	OK(C, HC("'CapAdd':['NET_ADMIN'],'Capabilities':['SYS_ADMIN']"), "caps=NET_ADMIN,SYS_ADMIN"),
	ERR(C, HC("'Capabilities':'SYS_ADMIN'"), TG_EINVAL, "\"Capabilities\" must be a list"),
	ERR(C, HC("'CapAdd':[1]"), TG_EINVAL, "\"CapAdd\" must be a list of strings"),

	/* security options: both separators */
	OK(C, HC("'SecurityOpt':['seccomp=unconfined']"), "weakened=" SECOPT("seccomp=unconfined")),
	OK(C, HC("'SecurityOpt':['seccomp:unconfined']"), "weakened=" SECOPT("seccomp:unconfined")),
	OK(C, HC("'SecurityOpt':['apparmor=unconfined']"), "weakened=" SECOPT("apparmor=unconfined")),
	OK(C, HC("'SecurityOpt':['apparmor:unconfined']"), "weakened=" SECOPT("apparmor:unconfined")),
	OK(C, HC("'SecurityOpt':['label=disable']"), "weakened=" SECOPT("label=disable")),
	OK(C, HC("'SecurityOpt':['label:disable']"), "weakened=" SECOPT("label:disable")),
	OK(C, HC("'SecurityOpt':['no-new-privileges=false']"),
	   "weakened=" SECOPT("no-new-privileges=false")),
	OK(C, HC("'SecurityOpt':['no-new-privileges:0']"), "weakened=" SECOPT("no-new-privileges:0")),
	OK(C, HC("'SecurityOpt':['systempaths=unconfined']"),
	   "weakened=" SECOPT("systempaths=unconfined")),
	OK(C, HC("'SecurityOpt':['no-new-privileges','no-new-privileges=true','apparmor=docker-default',"
	         "'label=level:s0:c1,c2']"),
	   ""),
	OK(C, HC("'SecurityOpt':['seccomp=unconfined','label=disable']"),
	   "weakened=" SECOPT("seccomp=unconfined") "|" SECOPT("label=disable")),
	/* dockerd's parseSecurityOpt reads a lone "disable" as label=disable */
	RISKY(C, HC("'SecurityOpt':['disable']"), "weakened="),
	/* a seccomp profile of the client's own (the CLI sends the file's
	 * JSON): one that allows every call is seccomp turned off */
	RISKY(C, HC("'SecurityOpt':['seccomp={\\'defaultAction\\':\\'SCMP_ACT_ALLOW\\'}']"),
	      "weakened=--security-opt seccomp="),
	ERR(C, HC("'SecurityOpt':'seccomp=unconfined'"), TG_EINVAL, "\"SecurityOpt\" must be a list"),

	/* MaskedPaths / ReadonlyPaths: set at all, they replace Docker's */
	OK(C, HC("'MaskedPaths':[]"), "weakened=" PROC("MaskedPaths")),
	OK(C, HC("'ReadonlyPaths':[]"), "weakened=" PROC("ReadonlyPaths")),
	OK(C, HC("'MaskedPaths':['/proc/kcore'],'ReadonlyPaths':[]"),
	   "weakened=" PROC("MaskedPaths") "|" PROC("ReadonlyPaths")),
	OK(C, HC("'MaskedPaths':null,'ReadonlyPaths':null"), ""),
	OK(C, HC("'Mas\xe2\x84\xaa" "edPaths':[]"), "weakened=" PROC("MaskedPaths")), /* KELVIN SIGN */

	/* devices */
	OK(C, HC("'Devices':[{'PathOnHost':'/dev/sda','PathInContainer':'/dev/xvda','CgroupPermissions':"
	         "'rwm'}]"),
	   "devices=--device /dev/sda"),
	OK(C, HC("'DeviceCgroupRules':['c 1:3 mr']"), "devices=--device-cgroup-rule 'c 1:3 mr'"),
	OK(C, HC("'DeviceRequests':[{'Driver':'nvidia','Count':-1}]"), "devices=--gpus (driver) nvidia"),
	OK(C, HC("'DeviceRequests':[{'Count':-1,'Capabilities':[['gpu']]}]"),
	   "devices=--gpus (driver) (all)"),
	OK(C, HC("'Devices':[],'DeviceCgroupRules':[],'DeviceRequests':null"), ""),
	ERR(C, HC("'Devices':['/dev/sda']"), TG_EINVAL, "\"Devices\" must be a list of objects"),

	/* namespaces */
	OK(C, HC("'NetworkMode':'host','PidMode':'host','IpcMode':'host','UTSMode':'host','UsernsMode':"
	         "'host','CgroupnsMode':'host'"),
	   "host=network,pid,ipc,uts,userns,cgroupns"),
	OK(C, HC("'NetworkMode':'none','PidMode':'container:x','IpcMode':'private','UTSMode':'',"
	         "'UsernsMode':'','CgroupnsMode':'private'"),
	   ""),
	OK(C, HC("'NetworkMode':'container:x','IpcMode':'shareable','PidMode':'','CgroupnsMode':'host'"),
	   "host=cgroupns"),
	OK(C, HC("'UsernsMode':'host'"), "host=userns"),
	ERR(C, HC("'PidMode':1"), TG_EINVAL, "\"PidMode\" must be a string"),

	/* root filesystem, user, environment */
	OK(C, HC("'ReadonlyRootfs':true"), "rootfs-ro"),
	OK(C, HC("'ReadonlyRootfs':false"), ""),
	OK(C, "{'Image':'app/x:1','User':'1000:1000'}", "user=1000:1000"),
	OK(C, "{'Image':'app/x:1','User':''}", ""),
	OK(C, "{'Image':'app/x:1','user':'root'}", "user=root"),
	ERR(C, "{'Image':'app/x:1','User':0}", TG_EINVAL, "\"User\" must be a string"),
	OK(C, "{'Image':'app/x:1','Env':['DB_PASSWORD=s3cret','NAME','EMPTY=','=x','PATH=/bin']}",
	   "env=DB_PASSWORD,PATH"),
	ERR(C, "{'Image':'app/x:1','Env':'A=1'}", TG_EINVAL, "\"Env\" must be a list"),
	ERR(C, "{'Image':'app/x:1','Env':['A=1'],'env':['B=2']}", TG_EAMBIGUOUS,
	    "sets \"Env\" more than once"),

	/* keys as Go's decoder matches them; a setting spelled twice */
	OK(C, HC("'Privileged':true"), "privileged"),
	OK(C, "{'Image':'app/x:1','hostconfig':{'privileged':true}}", "privileged"),
	OK(C, "{'Image':'app/x:1','Ho\xc5\xbf" "tConfig':{'Privileged':true}}", "privileged"), /* U+017F */
	OK(C, HC("'Privileged':null"), ""),
	ERR(C, HC("'Privileged':false,'privileged':true"), TG_EAMBIGUOUS,
	    "the JSON body sets \"Privileged\" more than once (as \"Privileged\" and \"privileged\")"),
	ERR(C, "{'Image':'app/x:1','HostConfig':{},'hostConfig':{'Privileged':true}}", TG_EAMBIGUOUS,
	    "sets \"HostConfig\" more than once"),
	ERR(C, HC("'Privileged':'true'"), TG_EINVAL, "\"Privileged\" must be true or false"),
	ERR(C, HC("'Privileged':1"), TG_EINVAL, "\"Privileged\" must be true or false"),
	ERR(C, "{'Image':'app/x:1','HostConfig':[]}", TG_EINVAL, "\"HostConfig\" must be an object"),
	ERR(C, "{'Image':'app/x:1','HostConfig':'x'}", TG_EINVAL, "\"HostConfig\" must be an object"),
	/* With no HostConfig (or a null one), dockerd 20.10 takes the host
	 * settings from the top level (runconfig's ContainerConfigWrapper
	 * embeds a deprecated *HostConfig): seen on dockerd 20.10.24, which
	 * created these privileged, with /etc bound and in the host's PID
	 * namespace. With a HostConfig object, the top level is ignored. */
	RISKY(C, "{'Image':'app/x:1','Cmd':['true'],'Privileged':true}", "privileged"),
	RISKY(C, "{'Image':'app/x:1','Privileged':true,'HostConfig':null}", "privileged"),
	RISKY(C, "{'Image':'app/x:1','Binds':['/etc:/x']}", "mount=/etc>/x,host,binds"),
	RISKY(C, "{'Image':'app/x:1','PidMode':'host'}", "host=pid"),
	OK(C, "{'Image':'app/x:1','Privileged':true,'HostConfig':{}}", ""),

	/* exec: User, Privileged, Env; no HostConfig */
	OK(X, "{'User':'root','Privileged':true,'Env':['API_TOKEN=abc','TERM=xterm'],'Cmd':['sh']}",
	   "privileged; user=root; env=API_TOKEN,TERM"),
	OK(X, "{'Cmd':['sh'],'AttachStdin':true}", ""),
	OK(X, "{'Cmd':['sh'],'HostConfig':{'Privileged':true,'NetworkMode':'host'}}", ""),
	OK(X, "{'privileged':true,'user':'0'}", "privileged; user=0"),
	ERR(X, "{'Privileged':1}", TG_EINVAL, "\"Privileged\" must be true or false"),
	ERR(X, "{'Privileged':false,'PRIVILEGED':true}", TG_EAMBIGUOUS,
	    "sets \"Privileged\" more than once"),

	/* service: TaskTemplate.ContainerSpec and TaskTemplate.Networks */
	OK(S, "{'Name':'s','TaskTemplate':{'ContainerSpec':{'Image':'app/x:1','User':'1000','Env':["
	      "'GPG_PASSWD=x'],'ReadOnly':true,'CapabilityAdd':['CAP_SYS_ADMIN'],'Mounts':[{'Type':'bind',"
	      "'Source':'/var/lib','Target':'/d'}],'Privileges':{'Seccomp':{'Mode':'unconfined'},"
	      "'AppArmor':{'Mode':'disabled'}}},'Networks':[{'Target':'host'}]}}",
	   "caps=SYS_ADMIN; weakened=--security-opt seccomp=unconfined (Privileges.Seccomp)|"
	   "--security-opt apparmor=unconfined (Privileges.AppArmor); host=network; user=1000; "
	   "mount=/var/lib>/d,host; rootfs-ro; env=GPG_PASSWD"),
	OK(S, "{'Name':'s','TaskTemplate':{'ContainerSpec':{'Image':'app/x:1'},'Networks':[{'Target':"
	      "'overlay1'},{'Target':'ingress'}]}}",
	   ""),
	OK(S, CS("'Privileges':{'Seccomp':{'Mode':'default'},'AppArmor':{'Mode':'default'}}"), ""),
	OK(S, CS("'Mounts':[{'Type':'volume','Source':'v','Target':'/c','VolumeOptions':{'DriverConfig':"
	         "{'Options':{'type':'none','o':'bind','device':'/etc'}}}}]"),
	   "mount=/etc>/c,host"),
	OK(S, "{'tasktemplate':{'containerspec':{'user':'0','readonly':true}}}", "user=0; rootfs-ro"),
	OK(S, "{'Name':'p','TaskTemplate':{'PluginSpec':{'Name':'x'}}}", ""),
	OK(S, "{'Name':'p','TaskTemplate':{'ContainerSpec':null}}", ""),
	ERR(S, CS("'CapabilityAdd':'SYS_ADMIN'"), TG_EINVAL, "\"CapabilityAdd\" must be a list"),
	ERR(S, "{'TaskTemplate':{'ContainerSpec':{},'Networks':['host']}}", TG_EINVAL,
	    "\"Networks\" must be a list of objects"),
	ERR(S, "{'TaskTemplate':[]}", TG_EINVAL, "expected a JSON object holding \"ContainerSpec\""),
	ERR(S, CS("'User':'0','USER':'1000'"), TG_EAMBIGUOUS, "sets \"User\" more than once"),
	/* dockerd falls back to the service's own (deprecated) Networks when
	 * the TaskTemplate names none (daemon/cluster populateNetworkID) */
	RISKY(S, "{'Name':'s','TaskTemplate':{'ContainerSpec':{'Image':'app/x:1'}},'Networks':[{'Target':"
	         "'host'}]}",
	      "host=network"),
	/* the swarm executor turns SELinuxContext.Disable into label=disable */
	RISKY(S, CS("'Privileges':{'SELinuxContext':{'Disable':true}}"), "weakened="),
};

#undef C
#undef X
#undef S

static bool check_decode_case(size_t i, const struct decode_case *c)
{
	char *body = c->body ? json(c->body) : NULL;
	tg_container_spec *spec = NULL;
	tg_error err;
	int rc = decode(c->kind, body, &spec, &err);
	char got[16384];
	render_spec(spec, got, sizeof(got));
	bool ok;
	if (c->refuse_or_show)
		ok = rc != TG_OK || strstr(got, c->want) != NULL;
	else if (c->rc != TG_OK)
		ok = rc == c->rc && strstr(err.msg, c->want) != NULL;
	else
		ok = rc == TG_OK && strcmp(got, c->want) == 0 && spec->kind == c->kind;
	if (!ok)
		print_error("decode case %zu (%s): got %s \"%s\"; want %s \"%s\"\n", i,
		            c->body ? c->body : "no body", tg_code_name(rc), rc == TG_OK ? got : err.msg,
		            c->refuse_or_show ? "an error, or a spec with" : tg_code_name(c->rc), c->want);
	free(spec);
	free(body);
	return ok;
}

static void test_decode_table(void **state)
{
	size_t failed = 0, n = sizeof(decode_cases) / sizeof(decode_cases[0]);
	for (size_t i = 0; i < n; i++)
		failed += !check_decode_case(i, &decode_cases[i]);
	if (failed > 0)
		fail_msg("%zu of %zu decode cases failed", failed, n);
}

/* "{'HostConfig':{KEY:[ITEM,ITEM,...]}}" with count items (a new string). */
static char *hc_list(const char *key, const char *item, size_t count, const char *extra)
{
	size_t n = strlen(key) + count * (strlen(item) + 1) + strlen(extra) + 64;
	char *out = malloc(n);
	assert_non_null(out);
	size_t len = (size_t)snprintf(out, n, "{\"HostConfig\":{\"%s\":[", key);
	for (size_t i = 0; i < count; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? "," : "", item);
	snprintf(out + len, n - len, "]%s}}", extra);
	return out;
}

/* Bounds: TG_CONTAINER_LIST_MAX entries of a list, and long values. */
static void test_decode_limits(void **state)
{
	tg_container_spec *spec;
	tg_error err;
	char *body = hc_list("CapAdd", "\"SYS_ADMIN\"", TG_CONTAINER_LIST_MAX, "");
	assert_int_equal(decode(TG_SPEC_CREATE, body, &spec, &err), TG_OK);
	assert_int_equal(spec->n_caps, TG_CONTAINER_LIST_MAX);
	free(spec);
	free(body);

	body = hc_list("CapAdd", "\"SYS_ADMIN\"", TG_CONTAINER_LIST_MAX + 1, "");
	assert_int_equal(decode(TG_SPEC_CREATE, body, &spec, &err), TG_ETOOBIG);
	assert_string_equal(err.msg, "\"CapAdd\" has more than 64 entries");
	free(spec);
	free(body);

	body = hc_list("Binds", "\"/h:/c\"", TG_CONTAINER_LIST_MAX + 1, "");
	assert_int_equal(decode(TG_SPEC_CREATE, body, &spec, &err), TG_ETOOBIG);
	assert_string_equal(err.msg, "\"Binds\" has more than 64 entries");
	free(spec);
	free(body);

	/* the environment has room for more: TG_CONTAINER_ENV_MAX */
	char env[8192] = "{\"Env\":[";
	for (int i = 0; i <= TG_CONTAINER_ENV_MAX; i++)
		snprintf(env + strlen(env), sizeof(env) - strlen(env), "%s\"V%d=1\"", i ? "," : "", i);
	strcat(env, "]}");
	assert_int_equal(decode(TG_SPEC_CREATE, env, &spec, &err), TG_ETOOBIG);
	assert_string_equal(err.msg, "\"Env\" has more than 256 entries");
	free(spec);

	/* 64 binds and one more mount: 65 mounts */
	body = hc_list("Binds", "\"/h:/c\"", TG_CONTAINER_LIST_MAX,
	               ",\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/h\",\"Target\":\"/d\"}]");
	assert_int_equal(decode(TG_SPEC_CREATE, body, &spec, &err), TG_ETOOBIG);
	assert_string_equal(err.msg, "more than 64 mounts");
	free(spec);
	free(body);

	/* a user and a bind source longer than their buffers */
	char big[1200], text[1400];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(text, sizeof(text), "{\"User\":\"%.300s\"}", big);
	assert_int_equal(decode(TG_SPEC_CREATE, text, &spec, &err), TG_ETOOBIG);
	assert_string_equal(err.msg, "\"User\" is longer than 255 bytes");
	free(spec);
	snprintf(text, sizeof(text), "{\"HostConfig\":{\"Binds\":[\"/%s:/c\"]}}", big);
	assert_int_equal(decode(TG_SPEC_CREATE, text, &spec, &err), TG_ETOOBIG);
	assert_string_equal(err.msg, "a mount path is longer than 1023 bytes");
	free(spec);
}

/* ---- 2. who is root ---- */

static const struct {
	const char *user;
	bool root;
} user_cases[] = {
	{"", true},       {"root", true},     {"0", true},       {"00", true},
	{"0:0", true},    {"root:staff", true}, {"0:1000", true}, {":1000", true},
	{"1000", false},  {"nobody", false},  {"1000:0", false}, {"root2", false},
	{"r00t", false},  {"01000", false},   {"0x0", false},    {"Root", false},
	/* runc reads a numeric user with Go's strconv.Atoi, which takes a
	 * sign: dockerd 20.10.24 runs --user +0 and --user -0 as uid 0 */
	{"+0", true},     {"-0", true},       {"+0:1000", true},
};

static void test_user_is_root(void **state)
{
	size_t failed = 0, n = sizeof(user_cases) / sizeof(user_cases[0]);
	for (size_t i = 0; i < n; i++)
		if (tg_container_user_is_root(user_cases[i].user) != user_cases[i].root) {
			print_error("user \"%s\": want %s\n", user_cases[i].user,
			            user_cases[i].root ? "root" : "not root");
			failed++;
		}
	if (failed > 0)
		fail_msg("%zu of %zu user cases failed", failed, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_decode_limits),
		cmocka_unit_test(test_user_is_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
