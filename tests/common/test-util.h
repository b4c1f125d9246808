/* test-util.h: helpers shared by the C tests.
 *
 * Tests never write into the source or build tree: every file they need is
 * made under a fresh temporary directory, removed at the end.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include "cmdbuilder.h"

/* (transfer none): absolute source / build roots (from meson's test env). */
const char *cmdb_test_source_root (void);
const char *cmdb_test_build_root (void);
/* (transfer full): absolute path of the built cmdbuilder executable. */
char *cmdb_test_cmdbuilder (void);
/* (transfer full): <source root>/<relative>. */
char *cmdb_test_source_path (const char *relative);

/* (transfer full): a new empty directory under $TMPDIR. */
char *cmdb_test_make_tempdir (void);
/* Removes @path recursively (no-op when absent). */
void cmdb_test_remove_tree (const char *path);
/* Copies the tree @src to @dst (created), keeping file modes. */
void cmdb_test_copy_tree (const char *src, const char *dst);
/* Writes @contents to @dir/@relative, creating parent directories. Returns
 * (transfer full) the file's absolute path. */
char *cmdb_test_write_file (const char *dir, const char *relative, const char *contents);
/* Reads a whole file; fails the test when it cannot. (transfer full) */
char *cmdb_test_read_file (const char *path);
/* Sets a file's mtime @seconds into the future relative to now, so a
 * change is visible even on filesystems with coarse timestamps. */
void cmdb_test_touch (const char *path, int seconds_ahead);

/* Copies the state directory of tests/fixtures/@name/state (a history an
 * earlier release wrote) to @workspace/.cmdbuilder. Returns (transfer full)
 * the installed state directory. */
char *cmdb_test_install_state_fixture (const char *workspace, const char *name);

/* A fresh temporary directory, the environment isolated in it
 * (cmdb_test_isolate_environment), holding a copy of the demo workspace
 * at <tmp>/ocr-workspace. Returns (transfer full) the workspace's path;
 * @ret_tmp (transfer full) the directory to remove at the end. */
char *cmdb_test_copy_demo_workspace (char **ret_tmp);

/* A test's own copy of the demo workspace, as a cmocka fixture:
 * cmdb_test_demo_setup puts a CmdbTestDemo in *state (the environment
 * isolated in its tmp), cmdb_test_demo_teardown removes it all. */
typedef struct
{
  char *tmp;
  char *workspace;
} CmdbTestDemo;

int cmdb_test_demo_setup (void **state);
int cmdb_test_demo_teardown (void **state);
/* (transfer full): @text parsed as JSON; fails the test, showing the text,
 * when it is not JSON. */
JsonNode *cmdb_test_parse_json (const char *text);
/* Fails the test, naming both, when @part is not in @text (nullable). */
void cmdb_test_assert_contains (const char *text, const char *part);

/* Points XDG_CONFIG_HOME, XDG_CONFIG_DIRS, XDG_DATA_HOME, XDG_CACHE_HOME,
 * XDG_STATE_HOME and HOME at fresh directories under @tmpdir and clears
 * CMDBUILDER_* variables, so no real user's configuration leaks in. */
void cmdb_test_isolate_environment (const char *tmpdir);

/* Runs @argv (NULL-terminated) in @cwd (nullable) and waits. Returns its
 * stdout (transfer full); @ret_stderr (nullable) gets stderr and
 * @ret_exit_status the exit code (-1 when killed by a signal). */
char *cmdb_test_run (const char *const *argv, const char *cwd, char **ret_stderr,
                     int *ret_exit_status);

/* Runs the built cmdbuilder with @args (NULL-terminated), then
 * `--workspace @workspace` when @workspace is non-NULL, and waits; as
 * cmdb_test_run(). (transfer full) stdout. */
char *cmdb_test_run_cmdbuilder (const char *const *args, const char *workspace, char **ret_stderr,
                                int *ret_exit_status);
/* Runs the built cmdbuilder in @cwd with the arguments from @first on
 * (NULL-terminated), as a person typing them there (the workspace is found
 * from @cwd unless they name one), and waits; as cmdb_test_run().
 * (transfer full) stdout. */
char *cmdb_test_run_cmdbuilder_in (const char *cwd, int *ret_exit_status, char **ret_stderr,
                                   const char *first, ...) G_GNUC_NULL_TERMINATED;

/* A workspace opened as the CLI opens it: layered configuration (the
 * workspace's cmdbuilder.ini, then @config_text as an extra layer when
 * non-NULL), a cache, a context and a plugin host attached to it. Call
 * cmdb_test_isolate_environment() first. */
typedef struct _CmdbHost CmdbHost;
typedef struct
{
  CmdbConfig *config;
  CmdbCache *cache;
  CmdbContext *context;
  CmdbHost *host;
} CmdbTestSession;

/* (transfer full) */
CmdbTestSession *cmdb_test_session_new (const char *workspace, const char *config_text);
void cmdb_test_session_free (CmdbTestSession *session);

/* TRUE when a file whose name is @file_name (e.g. "libtrain.so") is mapped
 * into this process, according to /proc/self/maps. */
gboolean cmdb_test_module_is_mapped (const char *file_name);

/* (transfer none): the object of @array whose "id" is @id; fails the test,
 * naming @what (where it looked), when there is none. */
JsonObject *cmdb_test_find_by_id (JsonArray *array, const char *id, const char *what);

/* Line-oriented golden comparison: fails with a readable diff-like message. */
void cmdb_test_assert_text_equal (const char *expected, const char *actual, const char *what);

/* Mounts a tmpfs of @size ("256k") on @dir, for full-disk tests. FALSE where
 * that is not permitted (not root, no mount(8)): the caller skips. */
gboolean cmdb_test_mount_tmpfs (const char *dir, const char *size);
/* Unmounts @dir (lazily: a process may still hold a file there). */
void cmdb_test_unmount (const char *dir);
/* Fills the file system holding @dir to its last byte (with @dir/filler). */
void cmdb_test_fill_disk (const char *dir);
