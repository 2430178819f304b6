/* trustgate: a Docker daemon authorization plugin that lets images be
 * pulled and run only when they come from trusted publishers or carry
 * valid signatures. This file dispatches the subcommands. */
#include <stdio.h>
#include <string.h>

#include "plugin/commands.h"

static const char usage[] =
	"usage: trustgate COMMAND [OPTIONS]\n"
	"\n"
	"A Docker daemon authorization plugin: images are pulled and run only when\n"
	"the host's policy trusts their publisher or signature.\n"
	"\n"
	"commands:\n"
	"  serve [--socket PATH] [--policy FILE] [--plugin-name NAME] [--timeout MS]\n"
	"        [--idle-timeout S] [--max-connections N] [--io-threads N]\n"
	"        [--lookup-threads N] [--log-level LEVEL]\n"
	"        [--state-dir DIR]   (trusted roots and versions; default /var/lib/trustgate)\n"
	"        [--docker-socket PATH] (the daemon's API, to inspect local images;\n"
	"                              default /var/run/docker.sock)\n"
	"        run the plugin (dockerd finds it at /run/docker/plugins/NAME.sock)\n"
	"  check [--policy FILE] [--state-dir DIR] [--local [--docker-socket PATH]] IMAGE\n"
	"        explain what the policy decides for a pull of IMAGE (signatures included);\n"
	"        --local: for a run of IMAGE as it is on this host (repo digests, trusted base)\n"
	"        (exit 0 allowed, 1 denied, 2 error)\n"
	"  policy validate FILE\n"
	"        check a policy file without applying it (exit 0 valid, 1 invalid)\n"
	"  cache list [--socket PATH] | cache flush [--socket PATH] [IMAGE]\n"
	"        show or forget the trust answers a running trustgate keeps\n"
	"  sigstore verify-bundle --bundle FILE --key PEM FILE_OR_DIGEST\n"
	"        check a Sigstore bundle (DSSE, in-toto) with a public key (exit 0 verified)\n"
	"\n"
	"  --help     show this help\n"
	"  --version  show the version\n"
	"\n"
	"Without --policy, trustgate uses " "/etc/trustgate/policy.json" " when it exists,\n"
	"else its built-in default (official Docker Hub images only).\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("trustgate %s\n", TG_VERSION);
		return 0;
	}
	if (strcmp(cmd, "serve") == 0)
		return tg_cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return tg_cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "policy") == 0)
		return tg_cmd_policy(argc - 1, argv + 1);
	if (strcmp(cmd, "cache") == 0)
		return tg_cmd_cache(argc - 1, argv + 1);
	if (strcmp(cmd, "sigstore") == 0)
		return tg_cmd_sigstore(argc - 1, argv + 1);
	fprintf(stderr, "trustgate: unknown command \"%s\"\n\n%s", cmd, usage);
	return 2;
}
