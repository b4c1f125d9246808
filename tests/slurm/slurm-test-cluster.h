/* slurm-test-cluster.h: the private single-node Slurm cluster the slurm
 * tests share (slurm-cluster.sh: munged, slurmctld, slurmd with a private
 * SLURM_CONF, everything under one temporary directory). */
#pragma once

#include <glib.h>

/* Starts the cluster in @tmp/cluster, watched on behalf of this process (a
 * test that dies before its teardown leaves no daemon behind). On success
 * sets SLURM_CONF and DEMO_EPOCH_SECONDS=0.2 for this process and what it
 * spawns and returns the cluster directory (transfer full); on failure
 * prints the daemons' own log lines and returns NULL. */
char *slurm_test_cluster_start (const char *tmp);

/* Stops the cluster in @cluster_dir by pid: jobs still queued or running
 * are cancelled with it. */
void slurm_test_cluster_stop (const char *cluster_dir);
