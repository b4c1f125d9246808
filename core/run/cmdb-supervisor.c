#define G_LOG_DOMAIN "cmdb-run"
#define _GNU_SOURCE /* pipe2 */

/* The supervisor of one local run: `cmdbuilder supervise RUN_DIR`.
 *
 * It is separate from whoever started the run (server or CLI), so either
 * may die without losing the run. It leaves the caller's session (double
 * fork + setsid), becomes a child subreaper so every descendant of the
 * command that is orphaned comes back to it, runs the command in a session
 * of its own, copies both output pipes to the logs with poll() (neither
 * stream can block the other), and records the end in run.json. A stop
 * request is SIGTERM (or SIGINT/SIGUSR1) sent to the supervisor. */

#include "cmdb-run-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* One read from a pipe; the pipes are drained in chunks of this size. */
#define CHUNK_SIZE 65536
/* Chunks taken from one stream before looking at the others again. */
#define CHUNKS_PER_WAKE 16
/* How often the process tree is checked while the run ends. */
#define SCAN_INTERVAL_MS 20
/* Disk space held from the start for the outcome record: freed only to
 * write it when the disk is full (a run that fills the disk still ends
 * with its exit code). A run.json is a few KB. */
#define OUTCOME_RESERVE_BYTES (64 * 1024)
#define OUTCOME_RESERVE_NAME ".outcome-reserve"
/* Rounds of SIGKILL before giving up on processes that will not die
 * (uninterruptible sleep): about 10 s. */
#define KILL_ROUNDS 1000

typedef struct
{
  GPid pid;
  GPid group;
} TreeProcess;

typedef struct
{
  CmdbRun *run;
  int ready_fd;
  int signal_fd;
  int pipes[2]; /* read ends, -1 once at end of file */
  int logs[2];
  guint64 bytes[2];
  gboolean log_failed;
  char *log_failure;  /* (nullable) why a log stopped growing */
  char *reserve_path; /* (nullable) the reserved space, until used */
  GPid self;
  GPid child;
  gboolean child_exited;
  int child_wait_status;
  gboolean stop_requested;
  gboolean ending;      /* the command's main process is gone, or a stop was asked */
  gint64 kill_deadline; /* monotonic microseconds */
  gint64 grace_ms;
} Supervisor;

static void
report_ready (Supervisor *self, const char *text)
{
  if (self->ready_fd < 0)
    return;
  /* One short write to a pipe is atomic; a reader that went away is fine. */
  if (write (self->ready_fd, text, strlen (text)) < 0 || write (self->ready_fd, "\n", 1) < 0)
    {
      /* Nobody waits for the report any more; the run goes on. */
    }
  close (self->ready_fd);
  self->ready_fd = -1;
}

/* Holds OUTCOME_RESERVE_BYTES in the run directory. FALSE (errno set)
 * when the disk cannot give them: the run cannot start. */
static gboolean
reserve_outcome_space (Supervisor *self)
{
  g_autofree char *path
      = g_build_filename (cmdb_run_get_directory (self->run), OUTCOME_RESERVE_NAME, NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int failure;

  if (fd < 0)
    return FALSE;
  /* Blocks really allocated (a sparse file would free nothing). */
  failure = posix_fallocate (fd, 0, OUTCOME_RESERVE_BYTES);
  close (fd);
  if (failure != 0)
    {
      unlink (path);
      errno = failure;
      return FALSE;
    }
  self->reserve_path = g_steal_pointer (&path);
  return TRUE;
}

static void
release_outcome_space (Supervisor *self)
{
  if (self->reserve_path == NULL)
    return;
  unlink (self->reserve_path);
  g_clear_pointer (&self->reserve_path, g_free);
}

static void
save_record (Supervisor *self)
{
  g_autoptr (GError) error = NULL;

  if (cmdb_run_save (self->run, &error))
    return;
  /* The disk is full: the reserved space makes room for the record. */
  if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC) && self->reserve_path != NULL)
    {
      release_outcome_space (self);
      g_clear_error (&error);
      if (cmdb_run_save (self->run, &error))
        return;
    }
  /* Nobody reads the supervisor's stderr; a record that cannot be written
   * shows as a lost run, which is the truth. */
  g_warning ("%s", error->message);
}

/* Every live (not zombie) process whose parent chain leads to us. As a
 * subreaper we are the ancestor of every process the command left behind,
 * including those that called setsid() and whose parents died. */
static GArray *
list_tree (Supervisor *self)
{
  GArray *tree = g_array_new (FALSE, FALSE, sizeof (TreeProcess));
  g_autoptr (GHashTable) parents = g_hash_table_new (NULL, NULL);
  g_autoptr (GHashTable) groups = g_hash_table_new (NULL, NULL);
  g_autoptr (GArray) alive = g_array_new (FALSE, FALSE, sizeof (GPid));
  DIR *proc = opendir ("/proc");
  struct dirent *entry;

  if (proc == NULL)
    return tree;
  while ((entry = readdir (proc)) != NULL)
    {
      char path[64];
      char stat[1024];
      int fd;
      gssize n;
      char *paren;
      char state = 0;
      int parent = 0;
      int group = 0;
      GPid pid;

      if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
        continue;
      pid = (GPid) atoi (entry->d_name);
      g_snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      n = read (fd, stat, sizeof stat - 1);
      close (fd);
      if (n <= 0)
        continue;
      stat[n] = '\0';
      paren = strrchr (stat, ')');
      if (paren == NULL || sscanf (paren + 1, " %c %d %d", &state, &parent, &group) != 3)
        continue;
      g_hash_table_insert (parents, GINT_TO_POINTER (pid), GINT_TO_POINTER (parent));
      g_hash_table_insert (groups, GINT_TO_POINTER (pid), GINT_TO_POINTER (group));
      if (state != 'Z' && state != 'X' && pid != self->self)
        g_array_append_val (alive, pid);
    }
  closedir (proc);

  for (guint i = 0; i < alive->len; i++)
    {
      GPid pid = g_array_index (alive, GPid, i);
      GPid ancestor = pid;

      /* Bounded walk: the chain could change under us. */
      for (guint depth = 0; depth < 256 && ancestor > 1; depth++)
        {
          ancestor = GPOINTER_TO_INT (g_hash_table_lookup (parents, GINT_TO_POINTER (ancestor)));
          if (ancestor == self->self)
            {
              TreeProcess process = {
                .pid = pid,
                .group = GPOINTER_TO_INT (g_hash_table_lookup (groups, GINT_TO_POINTER (pid))),
              };

              g_array_append_val (tree, process);
              break;
            }
        }
    }
  return tree;
}

static void
reap (Supervisor *self)
{
  int wait_status;
  GPid pid;

  while ((pid = waitpid (-1, &wait_status, WNOHANG)) > 0)
    if (pid == self->child)
      {
        self->child_exited = TRUE;
        self->child_wait_status = wait_status;
      }
}

static void
write_log (Supervisor *self, int stream, const char *data, gsize length)
{
  self->bytes[stream] += length;
  while (length > 0 && !self->log_failed)
    {
      gssize written = write (self->logs[stream], data, length);

      if (written < 0 && errno == EINTR)
        continue;
      if (written < 0)
        {
          /* Keep draining the pipe so the command never blocks on us. The
           * record says so at the end (written now, it could take the
           * space the outcome needs). */
          self->log_failed = TRUE;
          self->log_failure = g_strdup_printf (
              "%s.log was truncated after %" G_GUINT64_FORMAT " bytes: %s",
              stream == 0 ? "stdout" : "stderr", self->bytes[stream] - length, g_strerror (errno));
          return;
        }
      data += written;
      length -= (gsize) written;
    }
}

/* Reads what a pipe holds now (bounded per call, so one busy stream does
 * not starve the other); closes it at end of file, or when it is empty and
 * @final (nothing of the tree is left to write more). */
static void
drain (Supervisor *self, int stream, guint max_chunks, gboolean final)
{
  static char buffer[CHUNK_SIZE];

  for (guint chunk = 0; self->pipes[stream] >= 0 && chunk < max_chunks; chunk++)
    {
      gssize n = read (self->pipes[stream], buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN && !final)
        return;
      if (n <= 0)
        {
          close (self->pipes[stream]);
          self->pipes[stream] = -1;
          return;
        }
      write_log (self, stream, buffer, (gsize) n);
    }
}

/* SIGTERM to the command's process group and to every process of the tree
 * that left it; SIGKILL follows at the deadline. */
static void
begin_ending (Supervisor *self)
{
  g_autoptr (GArray) tree = NULL;

  if (self->ending)
    return;
  self->ending = TRUE;
  self->kill_deadline = g_get_monotonic_time () + self->grace_ms * 1000;
  kill (-self->child, SIGTERM);
  tree = list_tree (self);
  for (guint i = 0; i < tree->len; i++)
    if (g_array_index (tree, TreeProcess, i).group != self->child)
      kill (g_array_index (tree, TreeProcess, i).pid, SIGTERM);
}

static void
request_stop (Supervisor *self)
{
  if (self->stop_requested)
    return;
  self->stop_requested = TRUE;
  cmdb_run_set_status (self->run, CMDB_RUN_STATUS_STOPPING);
  cmdb_run_set_time_now (self->run, "stop_requested_at");
  save_record (self);
  begin_ending (self);
}

/* SIGKILL everything left until nothing is, then reap every child. */
static void
kill_tree (Supervisor *self)
{
  gboolean all_dead = FALSE;

  for (guint round = 0; round < KILL_ROUNDS && !all_dead; round++)
    {
      g_autoptr (GArray) tree = NULL;

      kill (-self->child, SIGKILL);
      tree = list_tree (self);
      for (guint i = 0; i < tree->len; i++)
        kill (g_array_index (tree, TreeProcess, i).pid, SIGKILL);
      reap (self);
      all_dead = tree->len == 0;
      if (!all_dead)
        g_usleep (10 * 1000);
    }
  /* Every process of the tree is dead: the zombies left are ours, and
   * waiting for them cannot block (unless some process would not die). */
  for (;;)
    {
      int wait_status;
      GPid pid = waitpid (-1, &wait_status, all_dead ? 0 : WNOHANG);

      if (pid < 0 && errno == EINTR)
        continue;
      if (pid <= 0)
        break;
      if (pid == self->child)
        {
          self->child_exited = TRUE;
          self->child_wait_status = wait_status;
        }
    }
}

static void
handle_signals (Supervisor *self)
{
  struct signalfd_siginfo info;

  while (read (self->signal_fd, &info, sizeof info) == sizeof info)
    {
      switch (info.ssi_signo)
        {
          case SIGCHLD:
            reap (self);
            break;
          case SIGTERM:
          case SIGINT:
          case SIGUSR1:
            request_stop (self);
            break;
          default:
            break;
        }
    }
}

static void
watch (Supervisor *self)
{
  gint64 last_scan = 0;

  for (;;)
    {
      struct pollfd fds[3];
      int stream_of[3] = { -1, -1, -1 };
      nfds_t n_fds = 0;
      int timeout = -1;

      fds[n_fds++] = (struct pollfd){ .fd = self->signal_fd, .events = POLLIN };
      for (int stream = 0; stream < 2; stream++)
        if (self->pipes[stream] >= 0)
          {
            stream_of[n_fds] = stream;
            fds[n_fds++] = (struct pollfd){ .fd = self->pipes[stream], .events = POLLIN };
          }
      if (self->ending)
        timeout = SCAN_INTERVAL_MS;
      if (poll (fds, n_fds, timeout) < 0 && errno != EINTR)
        break;

      if (fds[0].revents & POLLIN)
        handle_signals (self);
      for (nfds_t i = 1; i < n_fds; i++)
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
          drain (self, stream_of[i], CHUNKS_PER_WAKE, FALSE);

      if (self->child_exited && !self->ending)
        begin_ending (self);
      if (self->ending)
        {
          gint64 now = g_get_monotonic_time ();

          if (now >= self->kill_deadline)
            break;
          if (now - last_scan >= SCAN_INTERVAL_MS * 1000)
            {
              g_autoptr (GArray) tree = list_tree (self);

              last_scan = now;
              reap (self);
              if (tree->len == 0 && self->child_exited)
                break;
            }
        }
    }
  kill_tree (self);
  /* Nothing of the tree holds the pipes any more: take what is left. (A
   * process that would not die may still hold one: what it writes later is
   * lost, rather than the supervisor waiting for it forever.) */
  for (int stream = 0; stream < 2; stream++)
    drain (self, stream, G_MAXUINT, TRUE);
}

static void
record_end (Supervisor *self)
{
  int wait_status = self->child_wait_status;
  int exit_code;

  if (WIFEXITED (wait_status))
    exit_code = WEXITSTATUS (wait_status);
  else if (WIFSIGNALED (wait_status))
    {
      exit_code = 128 + WTERMSIG (wait_status);
      cmdb_run_set_int (self->run, "signal", WTERMSIG (wait_status));
    }
  else
    exit_code = 255;
  for (int stream = 0; stream < 2; stream++)
    fsync (self->logs[stream]);
  cmdb_run_set_int (self->run, "exit_code", exit_code);
  if (self->log_failure != NULL)
    {
      cmdb_run_set_message (self->run, self->log_failure);
      json_object_set_boolean_member (cmdb_run_get_data (self->run), "log_truncated", TRUE);
    }
  cmdb_run_set_int (self->run, "stdout_bytes", (gint64) self->bytes[0]);
  cmdb_run_set_int (self->run, "stderr_bytes", (gint64) self->bytes[1]);
  cmdb_run_set_time_now (self->run, "ended_at");
  if (self->stop_requested)
    cmdb_run_set_status (self->run, CMDB_RUN_STATUS_STOPPED);
  else if (exit_code == 0)
    cmdb_run_set_status (self->run, CMDB_RUN_STATUS_SUCCEEDED);
  else
    cmdb_run_set_status (self->run, CMDB_RUN_STATUS_FAILED);
  save_record (self);
  /* The record is written; the reserve (if still held) has done its job. A
   * truncated log gets a last line saying so, if there is room now. */
  release_outcome_space (self);
  if (self->log_failure != NULL)
    for (int stream = 0; stream < 2; stream++)
      {
        g_autofree char *note = g_strdup_printf ("\n[cmdbuilder: %s]\n", self->log_failure);
        if (write (self->logs[stream], note, strlen (note)) < 0)
          {
            /* Still full: the record says it. */
          }
      }
}

/* What the command's child writes back when it could not start. */
typedef struct
{
  int step; /* 0: chdir, 1: exec */
  int error_number;
} StartFailure;

static void
record_start_failure (Supervisor *self, const StartFailure *failure)
{
  const char *program = cmdb_run_get_argv (self->run)[0];
  g_autofree char *message = NULL;

  if (failure->step == 0)
    message = g_strdup_printf ("cannot enter '%s': %s", cmdb_run_get_working_directory (self->run),
                               g_strerror (failure->error_number));
  else
    message = g_strdup_printf ("cannot run '%s': %s", program, g_strerror (failure->error_number));
  cmdb_run_set_status (self->run, CMDB_RUN_STATUS_FAILED);
  cmdb_run_set_message (self->run, message);
  /* The shell's convention: 127 not found, 126 found but not executable. */
  cmdb_run_set_int (self->run, "exit_code", failure->error_number == ENOENT ? 127 : 126);
  cmdb_run_set_int (self->run, "stdout_bytes", 0);
  cmdb_run_set_int (self->run, "stderr_bytes", 0);
  cmdb_run_set_time_now (self->run, "ended_at");
  save_record (self);
}

static int
open_log (Supervisor *self, const char *name)
{
  g_autofree char *path = g_build_filename (cmdb_run_get_directory (self->run), name, NULL);

  return open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/* Forks the command into a new session. Returns FALSE when it could not be
 * executed (recorded in the run). */
static gboolean
spawn_command (Supervisor *self)
{
  const char *const *argv = cmdb_run_get_argv (self->run);
  const char *cwd = cmdb_run_get_working_directory (self->run);
  int failure_pipe[2];
  int out_pipe[2];
  int err_pipe[2];
  int null_fd;
  g_auto (GStrv) envp = NULL;
  StartFailure failure = { 0 };
  gssize n;

  if (pipe2 (failure_pipe, O_CLOEXEC) < 0 || pipe2 (out_pipe, O_CLOEXEC) < 0
      || pipe2 (err_pipe, O_CLOEXEC) < 0)
    {
      failure = (StartFailure){ .step = 1, .error_number = errno };
      record_start_failure (self, &failure);
      return FALSE;
    }
  null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  /* Every descendant inherits the marker, so `cmdbuilder stop` can find
   * them if this supervisor is killed (cmdb-run-leftovers.c). Built before
   * the fork: the child may only make async-signal-safe calls. */
  envp
      = g_environ_setenv (g_get_environ (), CMDB_RUN_ENV_MARKER, cmdb_run_get_id (self->run), TRUE);

  self->child = fork ();
  if (self->child == 0)
    {
      /* Only async-signal-safe calls from here to exec. */
      sigset_t none;

      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      signal (SIGPIPE, SIG_DFL);
      setsid ();
      if (chdir (cwd) < 0)
        {
          failure.step = 0;
          failure.error_number = errno;
        }
      else
        {
          dup2 (null_fd, 0);
          dup2 (out_pipe[1], 1);
          dup2 (err_pipe[1], 2);
          execvpe (argv[0], (char *const *) argv, envp);
          failure.step = 1;
          failure.error_number = errno;
        }
      if (write (failure_pipe[1], &failure, sizeof failure) < 0)
        _exit (126);
      _exit (127);
    }
  close (failure_pipe[1]);
  close (out_pipe[1]);
  close (err_pipe[1]);
  if (null_fd >= 0)
    close (null_fd);
  if (self->child < 0)
    {
      failure = (StartFailure){ .step = 1, .error_number = errno };
      close (failure_pipe[0]);
      close (out_pipe[0]);
      close (err_pipe[0]);
      record_start_failure (self, &failure);
      return FALSE;
    }
  /* End of file without a record: exec succeeded (the pipe was close-on-exec). */
  do
    n = read (failure_pipe[0], &failure, sizeof failure);
  while (n < 0 && errno == EINTR);
  close (failure_pipe[0]);
  if (n == sizeof failure)
    {
      close (out_pipe[0]);
      close (err_pipe[0]);
      while (waitpid (self->child, NULL, 0) < 0 && errno == EINTR)
        ;
      record_start_failure (self, &failure);
      return FALSE;
    }
  self->pipes[0] = out_pipe[0];
  self->pipes[1] = err_pipe[0];
  for (int stream = 0; stream < 2; stream++)
    fcntl (self->pipes[stream], F_SETFL, fcntl (self->pipes[stream], F_GETFL) | O_NONBLOCK);
  return TRUE;
}

int
cmdb_run_supervise (const char *run_directory, int ready_fd)
{
  Supervisor supervisor
      = { .ready_fd = ready_fd, .signal_fd = -1, .pipes = { -1, -1 }, .logs = { -1, -1 } };
  Supervisor *self = &supervisor;
  g_autoptr (GError) error = NULL;
  sigset_t handled;
  GPid first;

  if (ready_fd >= 0)
    fcntl (ready_fd, F_SETFD, FD_CLOEXEC);

  /* The double fork: the first child returns to its parent (the starter
   * reaps it), the second leaves the session and belongs to nobody. */
  first = fork ();
  if (first < 0)
    {
      g_autofree char *message
          = g_strdup_printf ("cannot fork the supervisor: %s", g_strerror (errno));

      report_ready (self, message);
      return 1;
    }
  if (first > 0)
    {
      if (ready_fd >= 0)
        close (ready_fd);
      return 0;
    }
  setsid ();
  self->self = getpid ();
  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    g_warning ("cannot become a subreaper: %s", g_strerror (errno));
  signal (SIGPIPE, SIG_IGN);
  sigemptyset (&handled);
  sigaddset (&handled, SIGCHLD);
  sigaddset (&handled, SIGTERM);
  sigaddset (&handled, SIGINT);
  sigaddset (&handled, SIGUSR1);
  sigaddset (&handled, SIGHUP);
  /* Blocked before anything else: a stop that arrives before the command
   * started is handled once it has. */
  sigprocmask (SIG_BLOCK, &handled, NULL);
  self->signal_fd = signalfd (-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);

  self->run = cmdb_run_load_from_directory (run_directory, &error);
  if (self->run == NULL)
    {
      g_autofree char *message = g_strdup_printf ("cannot read the run: %s", error->message);

      report_ready (self, message);
      return 1;
    }
  if (self->signal_fd < 0)
    {
      g_autofree char *message = g_strdup_printf ("cannot watch signals: %s", g_strerror (errno));

      report_ready (self, message);
      return 1;
    }
  self->grace_ms = MAX (cmdb_run_get_int (self->run, "stop_grace_ms", 5000), 0);
  cmdb_run_set_int (self->run, "supervisor_pid", self->self);
  self->logs[0] = open_log (self, "stdout.log");
  self->logs[1] = open_log (self, "stderr.log");
  if (self->logs[0] < 0 || self->logs[1] < 0 || !reserve_outcome_space (self))
    {
      g_autofree char *message
          = g_strdup_printf ("cannot prepare the run in %s: %s", run_directory, g_strerror (errno));

      report_ready (self, message);
      return 1;
    }
  if (chdir ("/") < 0)
    {
      /* Only to keep no directory busy; harmless when it fails. */
    }

  if (!spawn_command (self))
    {
      release_outcome_space (self);
      report_ready (self, "failed");
      cmdb_run_unref (self->run);
      return 0;
    }
  cmdb_run_set_status (self->run, CMDB_RUN_STATUS_RUNNING);
  cmdb_run_set_int (self->run, "pid", self->child);
  cmdb_run_set_int (self->run, "pgid", self->child);
  cmdb_run_set_time_now (self->run, "started_at");
  save_record (self);
  report_ready (self, "started");

  watch (self);
  record_end (self);
  g_free (self->log_failure);
  for (int stream = 0; stream < 2; stream++)
    close (self->logs[stream]);
  close (self->signal_fd);
  cmdb_run_unref (self->run);
  return 0;
}
