/* cmdb-state-private.h: the workspace's state directory and the files in it.
 *
 * The state directory (`[workspace] state`, default <workspace>/.cmdbuilder)
 * is the user's history: run records and logs, each page's form state, the
 * last page. Everything here keeps that history readable across upgrades
 * (docs/runs.md, "State files and compatibility"):
 *
 * - the state directory is created by one function, which also gives it a
 *   .gitignore that ignores everything in it;
 * - every JSON file in it has a format (CmdbStateKind) with a version; a
 *   reader accepts every earlier version, migrates it in memory, and the
 *   next write stores the current version (atomically: temporary file,
 *   rename); a file of a newer version is never written over and is
 *   reported once per process;
 * - paths under the workspace a file was written in are moved to the
 *   workspace it is read from (a moved or cloned workspace).
 */
#pragma once

#include "base/cmdb-private-export.h"

#include "cmdbuilder.h"

G_BEGIN_DECLS

#define CMDB_STATE_ERROR (cmdb_state_error_quark ())
#define cmdb_state_error_quark _cmdb_state_error_quark
CMDB_PRIVATE_EXPORT
GQuark cmdb_state_error_quark (void);

typedef enum
{
  CMDB_STATE_ERROR_NOT_FOUND,  /* the file does not exist */
  CMDB_STATE_ERROR_UNREADABLE, /* it cannot be read, or is not this format */
  CMDB_STATE_ERROR_NEWER,      /* a newer build wrote it: left untouched */
  CMDB_STATE_ERROR_FAILED,     /* a directory or file could not be written */
} CmdbStateError;

/* The formats of the state directory, each with its own version. */
typedef enum
{
  CMDB_STATE_RUN_RECORD,   /* runs/<id>/run.json */
  CMDB_STATE_PAGE_STATE,   /* ui/pages/<page>.json */
  CMDB_STATE_SERVER_STATE, /* ui/server.json */
  CMDB_STATE_SWEEP_RECORD, /* sweeps/<id>/sweep.json */
} CmdbStateKind;

/* The version of @kind this build writes (and the newest it reads). */
#define cmdb_state_format_version _cmdb_state_format_version
CMDB_PRIVATE_EXPORT
guint cmdb_state_format_version (CmdbStateKind kind);
/* (transfer none): what a person calls a file of @kind ("run record"). */
const char *cmdb_state_format_name (CmdbStateKind kind);

/* ---- the directory (cmdb-state-dir.c) ---- */

/* The name of the file that keeps the state directory out of git. */
#define CMDB_STATE_GITIGNORE_NAME ".gitignore"

/* Makes sure @state_dir exists, with a .gitignore ignoring everything in
 * it when it has none (a state directory an older build created gets one
 * too), and then @subdir (nullable, relative, may have several levels)
 * inside it with @mode. Every part of the code that creates something in
 * the state directory goes through here. Returns (transfer full) the path
 * of @subdir (or of @state_dir), or NULL with CMDB_STATE_ERROR_FAILED. */
#define cmdb_state_dir_ensure _cmdb_state_dir_ensure
CMDB_PRIVATE_EXPORT
char *cmdb_state_dir_ensure (const char *state_dir, const char *subdir, int mode, GError **error);

/* ---- files (cmdb-state-file.c) ---- */

/* Reads the state file @path of @kind: JSON, an object, whose "version"
 * (absent: 1, as the 2026-12-01 release wrote them) is at most the current
 * one. An earlier version is migrated in memory to the current layout
 * (its "version" member then says the current version). @ret_version
 * (nullable) gets the version found on disk. Returns (transfer full) the
 * object, or NULL with CMDB_STATE_ERROR (NOT_FOUND, UNREADABLE or NEWER; the
 * message starts with @path). */
#define cmdb_state_file_load _cmdb_state_file_load
CMDB_PRIVATE_EXPORT
JsonObject *cmdb_state_file_load (CmdbStateKind kind, const char *path, guint *ret_version,
                                  GError **error);
/* Writes @object as the state file @path of @kind, with the current
 * version, atomically (temporary file in the same directory, then rename,
 * so a reader sees the old file or the new one; run records also fsync).
 * Refuses (CMDB_STATE_ERROR_NEWER) to replace a file a newer build wrote.
 * The directory must exist (cmdb_state_dir_ensure). */
#define cmdb_state_file_save _cmdb_state_file_save
CMDB_PRIVATE_EXPORT
gboolean cmdb_state_file_save (CmdbStateKind kind, const char *path, JsonObject *object,
                               GError **error);

/* Reports @error (a state file that is unreadable or newer) once per
 * process and message: the server lists runs every second, and the same
 * file must not fill its log. Goes to the reporter (by default
 * g_warning). */
#define cmdb_state_report _cmdb_state_report
CMDB_PRIVATE_EXPORT
void cmdb_state_report (const GError *error);
typedef void (*CmdbStateReporter) (const char *message);
/* Sets where cmdb_state_report() sends a message (NULL: g_warning); the
 * CLI prints "cmdbuilder: warning: ..." instead. */
#define cmdb_state_set_reporter _cmdb_state_set_reporter
CMDB_PRIVATE_EXPORT
void cmdb_state_set_reporter (CmdbStateReporter reporter);

/* ---- a moved workspace (cmdb-state-relocate.c) ---- */

/* (transfer full) (nullable): @word with a path under @from_root (the
 * workspace it was written in) moved under @to_root: the word itself
 * (`/old/ws/runners/train.py`), or the value of a `key=value` override,
 * quoted or not (`resume="/old/ws/outputs/x.ckpt"`). NULL when @word names
 * nothing under @from_root. */
#define cmdb_state_relocate_word _cmdb_state_relocate_word
CMDB_PRIVATE_EXPORT
char *cmdb_state_relocate_word (const char *word, const char *from_root, const char *to_root);
/* (transfer full): @argv with every word relocated. */
GStrv cmdb_state_relocate_argv (const char *const *argv, const char *from_root,
                                const char *to_root);
/* (transfer full): the command text @text relocated: split into words
 * (cmdb_shell_split), relocated and joined again (cmdb_shell_join). @text
 * itself when nothing moves or it does not split. */
#define cmdb_state_relocate_text _cmdb_state_relocate_text
CMDB_PRIVATE_EXPORT
char *cmdb_state_relocate_text (const char *text, const char *from_root, const char *to_root);
/* Relocates the string members of @values in place. */
#define cmdb_state_relocate_values _cmdb_state_relocate_values
CMDB_PRIVATE_EXPORT
void cmdb_state_relocate_values (JsonObject *values, const char *from_root, const char *to_root);

/* ---- `cmdbuilder check` (cmdb-state-check.c) ---- */

/* (transfer full) (element-type CmdbProblem): every state file under
 * @state_dir that cannot be read (an error) or that a newer build wrote (a
 * warning), by name. Nothing is written. */
#define cmdb_state_check _cmdb_state_check
CMDB_PRIVATE_EXPORT
GPtrArray *cmdb_state_check (const char *state_dir);

G_END_DECLS
