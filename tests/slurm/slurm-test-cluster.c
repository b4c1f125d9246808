#define G_LOG_DOMAIN "cmdb-test"

#include "slurm-test-cluster.h"
#include "test-util.h"

#include <unistd.h>

char *
slurm_test_cluster_start (const char *tmp)
{
  g_autofree char *script = cmdb_test_source_path ("tests/slurm/slurm-cluster.sh");
  g_autofree char *dir = g_build_filename (tmp, "cluster", NULL);
  g_autofree char *owner = g_strdup_printf ("%d", (int) getpid ());
  const char *argv[] = { script, "start", dir, owner, NULL };
  g_autofree char *slurm_conf = NULL;
  g_autofree char *err = NULL;
  int exit_status = -1;

  slurm_conf = cmdb_test_run (argv, NULL, &err, &exit_status);
  if (exit_status != 0)
    {
      /* Not faked: the daemons' own log lines say why. */
      g_printerr ("the Slurm cluster did not start:\n%s", err);
      return NULL;
    }
  g_strchomp (slurm_conf);
  g_setenv ("SLURM_CONF", slurm_conf, TRUE);
  g_setenv ("DEMO_EPOCH_SECONDS", "0.2", TRUE);
  return g_steal_pointer (&dir);
}

void
slurm_test_cluster_stop (const char *cluster_dir)
{
  g_autofree char *script = cmdb_test_source_path ("tests/slurm/slurm-cluster.sh");
  const char *argv[] = { script, "stop", cluster_dir, NULL };
  g_autofree char *out = NULL;

  if (cluster_dir == NULL)
    return;
  out = cmdb_test_run (argv, NULL, NULL, NULL);
}
