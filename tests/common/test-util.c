#define G_LOG_DOMAIN "cmdb-test"

#include "test-util.h"
#include "host/cmdb-host-private.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>
#include <fcntl.h>
#include <unistd.h>

static const char *
required_env (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL || value[0] == '\0')
    {
      g_printerr ("test environment variable %s is not set: run the tests with `meson test`\n",
                  name);
      fail ();
    }
  return value;
}

const char *
cmdb_test_source_root (void)
{
  return required_env ("CMDB_TEST_SOURCE_ROOT");
}

const char *
cmdb_test_build_root (void)
{
  return required_env ("CMDB_TEST_BUILD_ROOT");
}

char *
cmdb_test_cmdbuilder (void)
{
  return g_strdup (required_env ("CMDB_TEST_CMDBUILDER"));
}

char *
cmdb_test_source_path (const char *relative)
{
  return g_build_filename (cmdb_test_source_root (), relative, NULL);
}

char *
cmdb_test_make_tempdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("cmdb-test-XXXXXX", &error);

  if (dir == NULL)
    {
      g_printerr ("cannot make a temporary directory: %s\n", error->message);
      fail ();
    }
  return dir;
}

void
cmdb_test_remove_tree (const char *path)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;
  GStatBuf st;

  if (path == NULL || g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      /* Tests may have made a directory unreadable on purpose. */
      g_chmod (path, 0700);
      dir = g_dir_open (path, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          cmdb_test_remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

void
cmdb_test_copy_tree (const char *src, const char *dst)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;
  GStatBuf st;

  assert_int_equal (g_stat (src, &st), 0);
  if (!S_ISDIR (st.st_mode))
    {
      g_autoptr (GFile) from = g_file_new_for_path (src);
      g_autoptr (GFile) to = g_file_new_for_path (dst);
      g_autoptr (GError) error = NULL;

      if (!g_file_copy (from, to, G_FILE_COPY_OVERWRITE | G_FILE_COPY_ALL_METADATA, NULL, NULL,
                        NULL, &error))
        {
          g_printerr ("copy %s -> %s: %s\n", src, dst, error->message);
          fail ();
        }
      return;
    }
  assert_int_equal (g_mkdir_with_parents (dst, 0755), 0);
  dir = g_dir_open (src, 0, NULL);
  assert_non_null (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *from = g_build_filename (src, name, NULL);
      g_autofree char *to = g_build_filename (dst, name, NULL);
      cmdb_test_copy_tree (from, to);
    }
}

char *
cmdb_test_write_file (const char *dir, const char *relative, const char *contents)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, relative, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  assert_int_equal (g_mkdir_with_parents (parent, 0755), 0);
  if (!g_file_set_contents (path, contents, -1, &error))
    {
      g_printerr ("cannot write %s: %s\n", path, error->message);
      fail ();
    }
  return path;
}

char *
cmdb_test_read_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, &error))
    {
      g_printerr ("cannot read %s: %s\n", path, error->message);
      fail ();
    }
  return contents;
}

void
cmdb_test_touch (const char *path, int seconds_ahead)
{
  struct utimbuf times;
  time_t now = time (NULL) + seconds_ahead;

  times.actime = now;
  times.modtime = now;
  assert_int_equal (utime (path, &times), 0);
}

void
cmdb_test_isolate_environment (const char *tmpdir)
{
  static const char *const xdg[][2] = {
    { "XDG_CONFIG_HOME", "xdg-config-home" }, { "XDG_CONFIG_DIRS", "xdg-config-dirs" },
    { "XDG_DATA_HOME", "xdg-data-home" },     { "XDG_CACHE_HOME", "xdg-cache-home" },
    { "XDG_STATE_HOME", "xdg-state-home" },   { "HOME", "home" },
  };
  g_auto (GStrv) env = g_get_environ ();

  for (gsize i = 0; i < G_N_ELEMENTS (xdg); i++)
    {
      g_autofree char *dir = g_build_filename (tmpdir, xdg[i][1], NULL);
      g_mkdir_with_parents (dir, 0755);
      g_setenv (xdg[i][0], dir, TRUE);
    }
  for (gsize i = 0; env[i] != NULL; i++)
    if (g_str_has_prefix (env[i], "CMDBUILDER_"))
      {
        g_autofree char *name = g_strndup (env[i], strcspn (env[i], "="));
        g_unsetenv (name);
      }
}

char *
cmdb_test_run (const char *const *argv, const char *cwd, char **ret_stderr, int *ret_exit_status)
{
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  char *err = NULL;
  int wait_status = 0;

  if (!g_spawn_sync (cwd, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &wait_status, &error))
    {
      g_printerr ("cannot run %s: %s\n", argv[0], error->message);
      fail ();
    }
  if (ret_exit_status != NULL)
    *ret_exit_status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  if (ret_stderr != NULL)
    *ret_stderr = err;
  else
    {
      if (err != NULL && err[0] != '\0')
        g_printerr ("%s", err);
      g_free (err);
    }
  return out;
}

void
cmdb_test_assert_text_equal (const char *expected, const char *actual, const char *what)
{
  g_auto (GStrv) want = NULL;
  g_auto (GStrv) got = NULL;
  guint i;

  if (g_strcmp0 (expected, actual) == 0)
    return;
  want = g_strsplit (expected != NULL ? expected : "", "\n", -1);
  got = g_strsplit (actual != NULL ? actual : "", "\n", -1);
  for (i = 0; want[i] != NULL && got[i] != NULL; i++)
    if (g_strcmp0 (want[i], got[i]) != 0)
      break;
  g_printerr ("%s differs at line %u:\n  expected: %s\n  actual:   %s\n", what, i + 1,
              want[i] != NULL ? want[i] : "<end>", got[i] != NULL ? got[i] : "<end>");
  fail ();
}

CmdbTestSession *
cmdb_test_session_new (const char *workspace, const char *config_text)
{
  CmdbTestSession *session = g_new0 (CmdbTestSession, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *workspace_ini = g_build_filename (workspace, "cmdbuilder.ini", NULL);

  session->config = cmdb_config_new ();
  if (!cmdb_config_load_user_layers (session->config, &error)
      || !cmdb_config_merge_file (session->config, workspace_ini, FALSE, &error))
    {
      g_printerr ("configuration: %s\n", error->message);
      fail ();
    }
  if (config_text != NULL)
    {
      g_autofree char *dir = cmdb_test_make_tempdir ();
      g_autofree char *path = cmdb_test_write_file (dir, "extra.ini", config_text);
      gboolean ok = cmdb_config_merge_file (session->config, path, TRUE, &error);

      cmdb_test_remove_tree (dir);
      if (!ok)
        {
          g_printerr ("configuration: %s\n", error->message);
          fail ();
        }
    }
  session->cache = cmdb_cache_new (0);
  session->context = cmdb_context_new (workspace, session->config, session->cache);
  session->host = cmdb_host_new (session->config);
  cmdb_host_attach_context (session->host, session->context);
  return session;
}

void
cmdb_test_session_free (CmdbTestSession *session)
{
  if (session == NULL)
    return;
  g_clear_object (&session->context);
  g_clear_object (&session->host);
  g_clear_pointer (&session->cache, cmdb_cache_unref);
  g_clear_pointer (&session->config, cmdb_config_unref);
  g_free (session);
}

gboolean
cmdb_test_module_is_mapped (const char *file_name)
{
  g_autofree char *maps = cmdb_test_read_file ("/proc/self/maps");
  g_autofree char *needle = g_strconcat ("/", file_name, "\n", NULL);

  return strstr (maps, needle) != NULL;
}

JsonObject *
cmdb_test_find_by_id (JsonArray *array, const char *id, const char *what)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (object, "id"), id) == 0)
        return object;
    }
  g_printerr ("%s does not list %s\n", what, id);
  fail ();
  return NULL;
}

char *
cmdb_test_install_state_fixture (const char *workspace, const char *name)
{
  g_autofree char *relative = g_build_filename ("tests", "fixtures", name, "state", NULL);
  g_autofree char *source = cmdb_test_source_path (relative);
  char *state = g_build_filename (workspace, ".cmdbuilder", NULL);

  cmdb_test_copy_tree (source, state);
  return state;
}

char *
cmdb_test_run_cmdbuilder (const char *const *args, const char *workspace, char **ret_stderr,
                          int *ret_exit_status)
{
  g_autofree char *program = cmdb_test_cmdbuilder ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, program);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  if (workspace != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--workspace");
      g_ptr_array_add (argv, (gpointer) workspace);
    }
  g_ptr_array_add (argv, NULL);
  return cmdb_test_run ((const char *const *) argv->pdata, NULL, ret_stderr, ret_exit_status);
}

static gboolean
run_quietly (const char *const *argv)
{
  int status = -1;

  return g_spawn_sync (NULL, (char **) argv, NULL,
                       G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL
                           | G_SPAWN_STDERR_TO_DEV_NULL,
                       NULL, NULL, NULL, NULL, &status, NULL)
         && g_spawn_check_wait_status (status, NULL);
}

gboolean
cmdb_test_mount_tmpfs (const char *dir, const char *size)
{
  g_autofree char *options = g_strdup_printf ("size=%s", size);

  return geteuid () == 0
         && run_quietly (
             (const char *const[]){ "mount", "-t", "tmpfs", "-o", options, "tmpfs", dir, NULL });
}

void
cmdb_test_unmount (const char *dir)
{
  run_quietly ((const char *const[]){ "umount", "-l", dir, NULL });
}

void
cmdb_test_fill_disk (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "filler", NULL);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  char block[4096] = { 0 };

  g_assert (fd >= 0);
  while (write (fd, block, sizeof block) > 0)
    ;
  while (write (fd, block, 1) > 0)
    ;
  close (fd);
}

char *
cmdb_test_run_cmdbuilder_in (const char *cwd, int *ret_exit_status, char **ret_stderr,
                             const char *first, ...)
{
  g_autofree char *program = cmdb_test_cmdbuilder ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (argv, program);
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  return cmdb_test_run ((const char *const *) argv->pdata, cwd, ret_stderr, ret_exit_status);
}

char *
cmdb_test_copy_demo_workspace (char **ret_tmp)
{
  g_autofree char *demo = cmdb_test_source_path ("examples/ocr-workspace");
  char *tmp = cmdb_test_make_tempdir ();
  char *workspace = g_build_filename (tmp, "ocr-workspace", NULL);

  cmdb_test_isolate_environment (tmp);
  cmdb_test_copy_tree (demo, workspace);
  *ret_tmp = tmp;
  return workspace;
}

int
cmdb_test_demo_setup (void **state)
{
  CmdbTestDemo *demo = g_new0 (CmdbTestDemo, 1);

  demo->workspace = cmdb_test_copy_demo_workspace (&demo->tmp);
  *state = demo;
  return 0;
}

int
cmdb_test_demo_teardown (void **state)
{
  CmdbTestDemo *demo = *state;

  cmdb_test_remove_tree (demo->tmp);
  g_free (demo->tmp);
  g_free (demo->workspace);
  g_free (demo);
  return 0;
}

JsonNode *
cmdb_test_parse_json (const char *text)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  if (!json_parser_load_from_data (parser, text, -1, &error))
    fail_msg ("not JSON (%s): %s", error->message, text);
  return json_node_copy (json_parser_get_root (parser));
}

void
cmdb_test_assert_contains (const char *text, const char *part)
{
  if (text == NULL || strstr (text, part) == NULL)
    {
      print_error ("expected to find \"%s\" in:\n%s\n", part, text != NULL ? text : "(null)");
      fail ();
    }
}
