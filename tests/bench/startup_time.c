/* tg-startup-time: how long a server takes from exec to a listening socket.
 *
 * `tg-startup-time --socket PATH [--timeout-ms N] -- COMMAND [ARG...]`
 * removes a leftover socket file at PATH, starts COMMAND (its output goes to
 * /dev/null), and tries to connect to PATH every 50 us until a connection is
 * accepted into the backlog, i.e. the server has called listen(2). It prints
 * the time from just before fork(2) to that moment, in milliseconds, then
 * stops the server with SIGTERM (SIGKILL after 5 s) and waits for it.
 * This is what dockerd sees: it cannot start until the plugin socket
 * answers. Exit 0 on success, 1 when the server died or never listened.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

static void pause_us(long us)
{
	struct timespec ts = {0, us * 1000};
	nanosleep(&ts, NULL);
}

static bool accepts_connections(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool ok = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
	close(fd);
	return ok;
}

static pid_t spawn(char **argv)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
	}
	execvp(argv[0], argv);
	_exit(127);
}

/* SIGTERM, then SIGKILL if it has not gone within 5 s. */
static void stop_child(pid_t pid)
{
	kill(pid, SIGTERM);
	for (int i = 0; i < 5000; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		pause_us(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void usage(void)
{
	fprintf(stderr, "usage: tg-startup-time --socket PATH [--timeout-ms N] -- COMMAND [ARG...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	long timeout_ms = 10000;
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc)
			timeout_ms = atol(argv[++i]);
		else
			usage();
	}
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (path == NULL || i + 1 >= argc || timeout_ms <= 0 || strlen(path) >= sizeof(addr.sun_path))
		usage();
	strcpy(addr.sun_path, path);
	struct stat sb;
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		unlink(path);

	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = spawn(argv + i + 1);
	if (pid < 0) {
		perror("tg-startup-time: fork");
		return 1;
	}
	double ms;
	while (!accepts_connections(&addr)) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			fprintf(stderr, "tg-startup-time: %s exited before listening\n", argv[i + 1]);
			return 1;
		}
		if (ms_since(&t0) > (double)timeout_ms) {
			fprintf(stderr, "tg-startup-time: no listener on %s after %ld ms\n", path, timeout_ms);
			stop_child(pid);
			return 1;
		}
		pause_us(50);
	}
	ms = ms_since(&t0);
	stop_child(pid);
	printf("%.2f\n", ms);
	return 0;
}
