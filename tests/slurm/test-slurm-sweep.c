#define G_LOG_DOMAIN "cmdb-test"

/* A sweep on the Slurm executor against a real single-node cluster
 * (slurm-cluster.sh, as slurm-cluster): ONE job array for the sweep, each
 * member a task with its own logs (followed while the task runs), member
 * states and exit codes from the array, and a stop of the sweep cancelling
 * the tasks that remain. Driven through the cmdbuilder executable. */

#include "test-util.h"
#include "slurm-test-cluster.h"

#include <string.h>

typedef struct
{
  char *tmp;
  char *cluster_dir;
  char *workspace;
} Cluster;

static Cluster cluster;

static int
group_setup (void **state)
{
  g_autofree char *source_workspace = cmdb_test_source_path ("examples/ocr-workspace");

  cluster.tmp = cmdb_test_make_tempdir ();
  cluster.workspace = g_build_filename (cluster.tmp, "ws", NULL);
  cmdb_test_isolate_environment (cluster.tmp);
  cmdb_test_copy_tree (source_workspace, cluster.workspace);
  cluster.cluster_dir = slurm_test_cluster_start (cluster.tmp);
  return cluster.cluster_dir != NULL ? 0 : -1;
}

static int
group_teardown (void **state)
{
  slurm_test_cluster_stop (cluster.cluster_dir);
  cmdb_test_remove_tree (cluster.tmp);
  g_free (cluster.tmp);
  g_free (cluster.cluster_dir);
  g_free (cluster.workspace);
  return 0;
}

/* (transfer full): `sweep ID --json` (which brings the members' Slurm
 * states up to date). */
static JsonNode *
sweep_report (const char *id)
{
  int status = -1;
  g_autofree char *err = NULL;
  g_autofree char *out
      = cmdb_test_run_cmdbuilder_in (cluster.workspace, &status, &err, "sweep", id, "--json", NULL);

  if (status != 0)
    fail_msg ("sweep %s --json: %s", id, err);
  return cmdb_test_parse_json (out);
}

static JsonObject *
member (JsonNode *report, guint index)
{
  return json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (report), "members"), index);
}

/* (transfer full): the run's record from `runs --json`. */
static JsonObject *
run_record (const char *run_id)
{
  int status = -1;
  g_autofree char *out
      = cmdb_test_run_cmdbuilder_in (cluster.workspace, &status, NULL, "runs", "--json", NULL);
  g_autoptr (JsonNode) runs = cmdb_test_parse_json (out);

  return json_object_ref (cmdb_test_find_by_id (json_node_get_array (runs), run_id, "runs --json"));
}

static JsonNode *
wait_sweep (const char *id, const char *status, int seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  for (;;)
    {
      JsonNode *report = sweep_report (id);

      if (g_str_equal (json_object_get_string_member (json_node_get_object (report), "status"),
                       status))
        return report;
      if (g_get_monotonic_time () > deadline)
        fail_msg ("sweep %s is %s, not %s, after %d s", id,
                  json_object_get_string_member (json_node_get_object (report), "status"), status,
                  seconds);
      json_node_unref (report);
      g_usleep (200 * 1000);
    }
}

static char *
launch (const char *epochs, const char *parallel)
{
  int status = -1;
  g_autofree char *err = NULL;
  g_autofree char *out = cmdb_test_run_cmdbuilder_in (
      cluster.workspace, &status, &err, "run", "train", "--executor", "slurm", "--sweep", epochs,
      "--parallel", parallel, "--detach", NULL);

  if (status != 0)
    fail_msg ("run --sweep exited with %d: %s", status, err);
  return g_strstrip (g_strdup (out));
}

/* 4 members: one array job, a task each, the logs of each task in its
 * run, exit codes recorded per member, metrics compared. */
static void
test_sweep_is_one_job_array (void **state)
{
  g_autofree char *id = launch ("max_epochs=1,2,1,2", "2");
  g_autoptr (JsonNode) done = NULL;
  g_autoptr (GHashTable) arrays = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *follow = NULL, *follow_err = NULL;
  g_autofree char *array_script = NULL;
  g_autofree char *script_path = NULL;
  g_autoptr (JsonNode) first = NULL;
  int status = -1;

  /* A member's log streams while its task runs: follow it to its end. */
  first = sweep_report (id);
  follow = cmdb_test_run_cmdbuilder_in (cluster.workspace, &status, &follow_err, "logs",
                                        json_object_get_string_member (member (first, 0), "run"),
                                        "--follow", "--stream", "stdout", NULL);
  assert_int_equal (status, 0);
  cmdb_test_assert_contains (follow, "Epoch 1/1");
  cmdb_test_assert_contains (follow, "Training completed successfully");

  done = wait_sweep (id, "succeeded", 120);
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *row = member (done, i);
      g_autoptr (JsonObject) record = run_record (json_object_get_string_member (row, "run"));
      g_autofree char *task = NULL;

      assert_string_equal (json_object_get_string_member (row, "status"), "succeeded");
      assert_int_equal (json_object_get_int_member (row, "exit_code"), 0);
      assert_true (json_object_get_double_member (json_object_get_object_member (row, "metrics"),
                                                  "val_hmean")
                   > 0.3);
      assert_string_equal (json_object_get_string_member (record, "executor"), "slurm");
      task = g_strdup_printf ("%s_%u", json_object_get_string_member (record, "slurm_array_job_id"),
                              i);
      assert_string_equal (json_object_get_string_member (record, "slurm_job_id"), task);
      g_hash_table_add (arrays,
                        g_strdup (json_object_get_string_member (record, "slurm_array_job_id")));
    }
  /* One array job for the whole sweep, limited to 2 tasks at a time. */
  assert_int_equal (g_hash_table_size (arrays), 1);
  script_path = g_build_filename (cluster.workspace, ".cmdbuilder", "runs",
                                  json_object_get_string_member (member (done, 0), "run"),
                                  "slurm-array.sh", NULL);
  array_script = cmdb_test_read_file (script_path);
  cmdb_test_assert_contains (array_script, "#SBATCH --array=0-3%2\n");
}

/* Stopping the sweep cancels the array's remaining tasks: the running one
 * ends with 143, the pending ones are cancelled before they start. */
static void
test_stop_cancels_remaining_tasks (void **state)
{
  g_autofree char *id = NULL;
  g_autoptr (JsonNode) running = NULL;
  g_autoptr (JsonNode) stopped = NULL;
  g_autofree char *out = NULL, *err = NULL, *squeue_out = NULL;
  g_autoptr (JsonObject) record = NULL;
  const char *array_job;
  int status = -1;

  g_setenv ("DEMO_EPOCH_SECONDS", "30", TRUE);
  id = launch ("max_epochs=2,3,4,5", "1");
  g_setenv ("DEMO_EPOCH_SECONDS", "0.2", TRUE);
  running = wait_sweep (id, "running", 60);
  for (guint i = 0; i < 600; i++)
    {
      g_autoptr (JsonNode) report = sweep_report (id);

      if (g_str_equal (json_object_get_string_member (member (report, 0), "status"), "running"))
        break;
      g_usleep (100 * 1000);
    }
  out = cmdb_test_run_cmdbuilder_in (cluster.workspace, &status, &err, "stop", id, "--wait", NULL);
  assert_int_equal (status, 0);
  cmdb_test_assert_contains (out, "stopped");
  stopped = sweep_report (id);
  for (guint i = 0; i < 4; i++)
    assert_string_equal (json_object_get_string_member (member (stopped, i), "status"), "stopped");
  assert_int_equal (json_object_get_int_member (member (stopped, 0), "exit_code"), 143);
  record = run_record (json_object_get_string_member (member (stopped, 3), "run"));
  assert_string_equal (json_object_get_string_member (record, "slurm_state"), "CANCELLED");
  /* Nothing of the array is left queued or running in Slurm. */
  array_job = json_object_get_string_member (record, "slurm_array_job_id");
  for (guint i = 0; i < 600; i++)
    {
      const char *squeue[]
          = { "squeue", "--noheader", "--format=%i %T", "--jobs", array_job, NULL };

      g_free (squeue_out);
      squeue_out = cmdb_test_run (squeue, NULL, NULL, &status);
      if (status != 0 || squeue_out[0] == '\0')
        break;
      g_usleep (100 * 1000);
    }
  assert_true (squeue_out == NULL || squeue_out[0] == '\0');
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_sweep_is_one_job_array),
    cmocka_unit_test (test_stop_cancels_remaining_tasks),
  };

  return cmocka_run_group_tests_name ("slurm-sweep", tests, group_setup, group_teardown);
}
