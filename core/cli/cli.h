/* cli.h: the cmdbuilder executable's subcommands.
 *
 * Each subcommand lives in its own cli-<name>.c and has the signature of
 * CmdbCliRun: it parses its own options with GOptionContext (so --help works
 * per subcommand) and returns the process exit status, as the table
 * cmdb_cli_get_exit_statuses() gives (help, man page and docs/cli.md):
 *   0 success, 1 usage or configuration error, 2 a negative verdict.
 */
#pragma once

#include <stdio.h>

#include "cmdbuilder.h"
#include "host/cmdb-host-private.h"
#include "session/cmdb-page-session-private.h"

#include <stdio.h>

G_BEGIN_DECLS

typedef int (*CmdbCliRun) (int argc, char **argv);

typedef struct
{
  const char *name;
  const char *summary;
  CmdbCliRun run;
  gboolean hidden; /* internal (supervise, __complete): left out of --help */
} CmdbCliCommand;

/* One row of the exit status table every subcommand follows. */
typedef struct
{
  const char *status;
  const char *meaning;
} CmdbCliExitStatus;

/* The subcommand table (cli-commands.c): the one source of `cmdbuilder
 * --help`, the man page and completion. (transfer none) */
const CmdbCliCommand *cmdb_cli_get_commands (guint *ret_n_commands);
/* (transfer none) (nullable) */
const CmdbCliCommand *cmdb_cli_lookup_command (const char *name);
/* (transfer none) */
const CmdbCliExitStatus *cmdb_cli_get_exit_statuses (guint *ret_n_statuses);
/* (transfer none): the daily workflow as (command, comment) pairs, NULL-ended. */
const char *const *cmdb_cli_get_examples (void);
/* (transfer full): the names of the visible subcommands. */
GPtrArray *cmdb_cli_list_command_names (void);
/* Prints `cmdbuilder --help` to @stream. */
void cmdb_cli_print_usage (FILE *stream);

/* Runs @command in describe mode: it builds its option context and, instead
 * of parsing, hands back its --help text. Returns (transfer full) that text
 * (GOptionContext's format), or NULL for a subcommand that has none. */
char *cmdb_cli_describe_command (const CmdbCliCommand *command);

/* One option of a --help text (cli-help.c). */
typedef struct
{
  char *spec;       /* "-s, --set=KEY=VALUE" */
  char *short_name; /* (nullable) "-s" */
  char *long_name;  /* "--set" */
  gboolean takes_value;
  char *summary;
} CmdbCliHelpOption;

/* A --help text taken apart. */
typedef struct
{
  char *usage;        /* (nullable) "cmdbuilder build [OPTION…] PAGE - print ..." */
  GPtrArray *options; /* (element-type CmdbCliHelpOption) in order, GLib's --help left out */
  char *description;  /* the closing paragraphs, joined; "" when none */
} CmdbCliHelp;

/* (transfer full) */
CmdbCliHelp *cmdb_cli_help_parse (const char *text);
/* (transfer full): the parsed help of @command, from describe mode. */
CmdbCliHelp *cmdb_cli_describe_command_help (const CmdbCliCommand *command);
void cmdb_cli_help_free (CmdbCliHelp *help);

/* Output (cli-output.c): colour on a terminal, --quiet, NO_COLOR. */
typedef enum
{
  CMDB_CLI_COLOR_AUTO,
  CMDB_CLI_COLOR_ALWAYS,
  CMDB_CLI_COLOR_NEVER,
} CmdbCliColor;

/* --color=auto|always|never; FALSE with @error for anything else. */
gboolean cmdb_cli_set_color (const char *mode, GError **error);
void cmdb_cli_set_quiet (gboolean quiet);
gboolean cmdb_cli_get_quiet (void);
/* TRUE when what goes to stderr may be coloured. */
gboolean cmdb_cli_stderr_has_color (void);
/* "cmdbuilder: MESSAGE" on stderr, the message red on a terminal. */
void cmdb_cli_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* "error: MESSAGE" (red) or "warning: MESSAGE" (yellow) on stderr. */
void cmdb_cli_report (CmdbSeverity severity, const char *format, ...) G_GNUC_PRINTF (2, 3);
/* "MESSAGE" on stderr unless --quiet. */
void cmdb_cli_note (const char *format, ...) G_GNUC_PRINTF (1, 2);

/* Did-you-mean (cli-suggest.c). (transfer none) (nullable): the candidate
 * (element-type utf8) closest to @word, when it is close enough to be what
 * was meant. */
const char *cmdb_cli_closest (const char *word, GPtrArray *candidates);
/* (transfer full): "unknown WHAT 'WORD'; did you mean 'X'? (known: ...)". */
char *cmdb_cli_unknown_name_message (const char *what, const char *word, GPtrArray *candidates);

/* Everything a subcommand needs about one workspace: created from the
 * common --workspace / --schemas options and the configuration layers. */
typedef struct
{
  CmdbConfig *config;
  CmdbCache *cache;
  CmdbContext *context;
  CmdbHost *host;
} CmdbCliSession;

/* Options every subcommand accepts; add them with cmdb_cli_add_common_options(). */
typedef struct
{
  char *workspace;
  char **schemas;          /* --schemas DIR, repeatable */
  char **config_overrides; /* --config GROUP.KEY=VALUE, repeatable */
  /* Set by the subcommand before opening the session: */
  gboolean json_output;   /* stdout is JSON: no workspace note */
  gboolean any_directory; /* works without a Hydra config tree (runs, exec) */
} CmdbCliCommonOptions;

/* Adds --workspace, --schemas, --config, --quiet and --color. */
void cmdb_cli_add_common_options (GOptionContext *option_context, CmdbCliCommonOptions *options);
void cmdb_cli_common_options_clear (CmdbCliCommonOptions *options);
/* (transfer full): opens the workspace. A discovered workspace is named on
 * stderr (unless --quiet or JSON output); one without its Hydra config
 * tree is refused unless @options->any_directory. NULL with @error. */
CmdbCliSession *cmdb_cli_session_open (CmdbCliCommonOptions *options, GError **error);
void cmdb_cli_session_free (CmdbCliSession *session);
/* Parses the subcommand's options; on failure prints the error and the
 * usage hint to stderr and returns FALSE. */
gboolean cmdb_cli_parse (GOptionContext *option_context, int *argc, char ***argv);
/* As cmdb_cli_parse() for subcommands taking a PAGE (build, run, keys):
 * --help also lists the keys of the page when one is named. Returns FALSE
 * when the subcommand is done, with @ret_status its exit status. */
gboolean cmdb_cli_parse_page_options (GOptionContext *option_context, CmdbCliCommonOptions *common,
                                      int *argc, char ***argv, int *ret_status);
/* Prints each problem as "path:line:col: severity: message" to stderr
 * (errors red, warnings yellow on a terminal). */
void cmdb_cli_print_problems (GPtrArray *problems);
/* Prints @node as JSON (pretty) followed by a newline to stdout. */
void cmdb_cli_print_json (JsonNode *node);
/* (transfer none): @text (nullable: "-") as a human-readable line may show
 * it: control characters, terminal escapes and bidirectional overrides
 * written as visible escapes (\e, \r, \u{202E}), so a name from disk
 * cannot rewrite the terminal or disguise itself. Piped or not. The copy
 * lives until the program exits. */
const char *cmdb_cli_safe (const char *text);

/* What `build` and `run` take from the command line to compose a command. */
typedef struct
{
  char **sets;             /* (nullable) KEY=VALUE strings of --set */
  const char *use_case_id; /* (nullable) --use-case */
  const char *preset;      /* (nullable) --preset: applied after the use case, before --set */
  int suffix;              /* -1: the page's default and [command] suffix; 0 or 1: forced */
  gboolean compose_check;  /* also run the composition check (docs/compose-check.md) */
} CmdbCliPageCommandFlags;

/* Applies the preset @name of the page to @input, a warning on stderr for
 * each key it skipped (one the schema no longer has). FALSE with @error
 * (exit status 2) for an unknown preset, with a did-you-mean. */
gboolean cmdb_cli_apply_preset (CmdbCliSession *session, CmdbPageSession *page_session,
                                const char *name, CmdbFormInput *input, GError **error);
/* Activates @page_id and composes its command. With flags->compose_check,
 * the command's composition check runs too: @ret_compose (nullable)
 * receives its verdict (NULL when the workspace has no primary config for
 * the page); one that does not compose is printed to stderr and makes
 * @ret_status 2. Prints the schema's and
 * the form's problems, warnings and errors to stderr. Returns (transfer
 * full) the command, with @ret_status 0, or 2 when the form has errors (the
 * command is then returned for display only); or NULL with @error and
 * @ret_status 2 for --set / --use-case input the form refuses (an unknown
 * key or use case, a value that does not fit), 1 for page, schema or
 * workspace problems. @ret_state (nullable)
 * receives the evaluated form, @ret_experiment (nullable) the experiment
 * name the page gives it (transfer full, nullable). */
CmdbCommand *cmdb_cli_build_page_command (CmdbCliSession *session, const char *page_id,
                                          const CmdbCliPageCommandFlags *flags,
                                          CmdbFormState **ret_state, char **ret_experiment,
                                          int *ret_status, CmdbComposeResult **ret_compose,
                                          GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbCliSession, cmdb_cli_session_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbCliHelp, cmdb_cli_help_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CmdbCliCommonOptions, cmdb_cli_common_options_clear)

/* Sweeps (cli-sweep.c). (transfer full) (element-type JsonObject): each
 * member's values from the --sweep @specs (NULL-ended), within [sweep]
 * limit; @ret_axes (nullable) gets the parsed fields. NULL with @error. */
GPtrArray *cmdb_cli_sweep_members (CmdbCliSession *session, char **specs, GPtrArray **ret_axes,
                                   GError **error);
/* Builds one member (the --set values of @flags, then @member's) as build
 * does (with flags->compose_check, Hydra's verdict printed to stderr) and
 * checks that its runner exists. As cmdb_cli_build_page_command(). */
CmdbCommand *cmdb_cli_build_sweep_member (CmdbCliSession *session, const char *page_id,
                                          const CmdbCliPageCommandFlags *flags, JsonObject *member,
                                          CmdbFormState **ret_state, char **ret_experiment,
                                          int *ret_status, GError **error);
/* (transfer full): "KEY=VALUE KEY=VALUE" of a member's values. */
char *cmdb_cli_sweep_member_label (JsonObject *member);
/* `run --sweep` (cli-sweeps.c): builds every member, creates the sweep
 * (queued runs and its record), hands its queue to a sweep supervisor and,
 * unless @detach, follows it: one line per member as it ends; Ctrl-C stops
 * the sweep. Exit 0 when every member succeeded, 130 interrupted, 2 a
 * member the form refuses (nothing is run), 1 otherwise. */
int cmdb_cli_run_sweep (CmdbCliSession *session, const char *page_id,
                        const CmdbCliPageCommandFlags *flags, char **specs, gint parallel,
                        const char *executor, JsonObject *executor_options, gboolean detach,
                        gboolean force);
/* `stop SWEEP` and `runs delete SWEEP` (cli-sweeps.c): TRUE when @word
 * names a sweep (it starts with "sweep-"). */
gboolean cmdb_cli_is_sweep_word (const char *word);
int cmdb_cli_stop_sweep (CmdbRunStore *store, const char *word, gboolean wait);
int cmdb_cli_delete_sweep (CmdbRunStore *store, const char *word);
/* `sweeps`, `sweep` and the hidden `sweep-supervise` (cli-sweeps.c). */
int cmdb_cli_sweeps (int argc, char **argv);
int cmdb_cli_sweep (int argc, char **argv);
int cmdb_cli_sweep_supervise (int argc, char **argv);
/* `build --sweep`: each member's command on a line, or with @json
 * {sweep: {count, commands: [{values, command, ok}]}}. The worst status. */
int cmdb_cli_build_sweep (CmdbCliSession *session, const char *page_id,
                          const CmdbCliPageCommandFlags *flags, char **specs, gboolean json);

/* The subcommands. */
int cmdb_cli_plugins (int argc, char **argv);
int cmdb_cli_options (int argc, char **argv);
int cmdb_cli_new_plugin (int argc, char **argv);
int cmdb_cli_serve (int argc, char **argv);
int cmdb_cli_url (int argc, char **argv);
int cmdb_cli_build (int argc, char **argv);
int cmdb_cli_check (int argc, char **argv);
int cmdb_cli_compose (int argc, char **argv);
/* `check`'s predictions (cli-check-predict.c): (transfer full) (element-type
 * CmdbProblem) the problems a run of @pages would meet (commands that do not
 * compose, a launcher not on PATH, a missing runner). */
GPtrArray *cmdb_cli_check_predict (CmdbCliSession *session, GPtrArray *pages);
/* Adds "a similarly named directory exists: X" to @problems about a
 * missing directory. */
void cmdb_cli_check_suggest_directories (GPtrArray *problems, CmdbCliSession *session);
/* Prints a composition verdict for a person (cli-compose.c). */
void cmdb_cli_print_compose_result (CmdbComposeResult *result, const char *config_name,
                                    FILE *stream);
int cmdb_cli_keys (int argc, char **argv);
int cmdb_cli_man (int argc, char **argv);
int cmdb_cli_complete (int argc, char **argv);
/* Prints the keys of @page_id (cli-keys.c) as text to stdout; FALSE with
 * @error when the page or its schema cannot be opened. */
gboolean cmdb_cli_print_page_keys (CmdbCliSession *session, const char *page_id, GError **error);
/* Pages (cli-pages.c). (transfer full) (element-type utf8): the page ids. */
GPtrArray *cmdb_cli_list_page_ids (CmdbCliSession *session);
/* (transfer full) (element-type CmdbUseCase): the use cases (suggested
 * setups) of every architecture. */
GPtrArray *cmdb_cli_list_use_cases (CmdbContext *context);
/* (transfer full) (element-type utf8): the option source ids this
 * installation knows: the built-in ones, then the registries'. */
GPtrArray *cmdb_cli_list_source_ids (CmdbCliSession *session);
/* (transfer full): the session of @page_id; an unknown id fails with a
 * did-you-mean naming the pages. */
CmdbPageSession *cmdb_cli_open_page_session (CmdbCliSession *session, const char *page_id,
                                             GError **error);
/* (transfer full): as cmdb_cli_open_page_session(), the schema's problems
 * printed to stderr; NULL with @error when the schema has errors. */
CmdbPageSession *cmdb_cli_open_usable_page_session (CmdbCliSession *session, const char *page_id,
                                                    GError **error);
/* Runs (cli-run.c, cli-runs.c, cli-supervise.c). (transfer full): the
 * session's run store, loading executor plugins through its host. */
CmdbRunStore *cmdb_cli_open_run_store (CmdbCliSession *session);
int cmdb_cli_run (int argc, char **argv);
int cmdb_cli_exec (int argc, char **argv);
int cmdb_cli_rerun (int argc, char **argv);
/* Presets (cli-presets.c). */
int cmdb_cli_presets (int argc, char **argv);
int cmdb_cli_preset (int argc, char **argv);
int cmdb_cli_runs (int argc, char **argv);
int cmdb_cli_logs (int argc, char **argv);
int cmdb_cli_stop (int argc, char **argv);
int cmdb_cli_supervise (int argc, char **argv);
/* Copies @run's logs from their start, stdout to stdout and stderr to
 * stderr; with @follow, until the run ends. When *@interrupted becomes
 * non-zero (a signal handler), the run is asked to stop, once. Returns
 * (transfer full) the run as last loaded, or NULL with @error. */
/* (transfer full): the run @word names: "last" is the newest run, anything
 * else an id or a unique prefix. NULL with @error. */
CmdbRun *cmdb_cli_load_run (CmdbRunStore *store, const char *word, GError **error);
CmdbRun *cmdb_cli_follow_run (CmdbRunStore *store, CmdbRun *run, gboolean want_stdout,
                              gboolean want_stderr, gboolean follow, volatile int *interrupted,
                              GError **error);

G_END_DECLS
