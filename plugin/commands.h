/* commands: the subcommands of the trustgate binary.
 * Each takes the arguments after its name and returns the process exit
 * status. Not thread-safe (run from main). */
#ifndef TG_COMMANDS_H
#define TG_COMMANDS_H

/* trustgate serve: the plugin daemon. 0 on clean shutdown, 1 on error. */
int tg_cmd_serve(int argc, char **argv);

/* trustgate check IMAGE: 0 allowed, 1 denied, 2 error. */
int tg_cmd_check(int argc, char **argv);

/* trustgate policy validate FILE: 0 valid, 1 invalid, 2 usage error. */
int tg_cmd_policy(int argc, char **argv);

/* trustgate cache list|flush [IMAGE]: 0 done, 2 error. */
int tg_cmd_cache(int argc, char **argv);

/* trustgate sigstore verify-bundle ...: 0 verified, 1 not, 2 usage error. */
int tg_cmd_sigstore(int argc, char **argv);

#endif
