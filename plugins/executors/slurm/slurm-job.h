/* slurm-job.h: the Slurm executor's logic that needs no cluster: the job
 * options (defaults from [slurm], overrides from the run record), their
 * checks, the batch script, and reading what scontrol and sbatch say.
 * Linked into the plugin module and into its unit tests. */
#pragma once

#include <cmdbuilder/cmdbuilder.h>

G_BEGIN_DECLS

/* Files the executor keeps in a run's directory (besides run.json and the
 * logs, which the job writes directly). */
#define CMDB_SLURM_SCRIPT_NAME "slurm-job.sh"
#define CMDB_SLURM_STARTED_NAME "slurm-started" /* start time, written by the job */
#define CMDB_SLURM_EXIT_NAME "slurm-exit"       /* "EXIT_CODE END_TIME", written by the trap */

/* The options of one job; keys as in [slurm] and `--slurm KEY=VALUE`. */
typedef struct _CmdbSlurmOptions CmdbSlurmOptions;

/* (transfer full): empty options. */
CmdbSlurmOptions *cmdb_slurm_options_new (void);
void cmdb_slurm_options_free (CmdbSlurmOptions *options);
/* (transfer none) (array zero-terminated=1): the keys, in #SBATCH order
 * ("extra" last). */
const char *const *cmdb_slurm_option_keys (void);
/* Sets @key ('_' and '-' are the same) to @value; "extra" appends one
 * #SBATCH line. An empty value unsets a key. FALSE with an error naming
 * the known keys when @key is unknown. */
gboolean cmdb_slurm_options_set (CmdbSlurmOptions *options, const char *key, const char *value,
                                 GError **error);
/* (transfer none) (nullable) */
const char *cmdb_slurm_options_get (CmdbSlurmOptions *options, const char *key);
/* Takes the [slurm] keys of @config as defaults. */
void cmdb_slurm_options_load_config (CmdbSlurmOptions *options, CmdbConfig *config);
/* Applies a run record's "slurm_options" object: strings or numbers, and
 * "extra" as a string or an array of strings. */
gboolean cmdb_slurm_options_apply_json (CmdbSlurmOptions *options, JsonObject *object,
                                        GError **error);
/* (transfer full): what is wrong with each value, KEY -> problem (empty
 * when nothing is): positive counts, the time format, memory sizes, one
 * line each, and the partition against @known_partitions (nullable: not
 * checked). Keys in #SBATCH order. */
JsonObject *cmdb_slurm_options_check (CmdbSlurmOptions *options,
                                      const char *const *known_partitions);
/* The same checks; all problems go into one error, one "  KEY: problem"
 * line each. */
gboolean cmdb_slurm_options_validate (CmdbSlurmOptions *options,
                                      const char *const *known_partitions, GError **error);
/* (transfer full): the options as a JSON object (unset keys left out). */
JsonObject *cmdb_slurm_options_to_json (CmdbSlurmOptions *options);

/* (transfer full): the batch script of a run: #SBATCH lines (the job's
 * stdout and stderr go straight to the run's logs), a trap writing the exit
 * code and end time to CMDB_SLURM_EXIT_NAME, `cd` to @working_directory,
 * then @argv shell-quoted. NULL with an error when a path cannot be written
 * in an #SBATCH line. */
char *cmdb_slurm_render_script (CmdbSlurmOptions *options, const char *run_id,
                                const char *run_directory, const char *working_directory,
                                const char *const *argv, GError **error);

/* (transfer full): the batch script of a sweep as one job array: the
 * options' #SBATCH lines, --array=0-(N-1)%@parallel (no limit when
 * @parallel is 0 or at least N), Slurm's own output discarded, and a task
 * N that runs the script of @run_directories[N] (each rendered by
 * cmdb_slurm_render_script) with its output appended to that run's logs.
 * NULL with an error when a value cannot be written in an #SBATCH line. */
char *cmdb_slurm_render_array_script (CmdbSlurmOptions *options, const char *const *run_directories,
                                      guint parallel, GError **error);
#define CMDB_SLURM_ARRAY_SCRIPT_NAME "slurm-array.sh"

/* Reads `scontrol show job -o` output: (transfer full) the JobState (such
 * as RUNNING, CANCELLED) and the ExitCode as an exit status (128 + signal
 * when a signal ended it). FALSE when the text has no JobState. */
gboolean cmdb_slurm_parse_job (const char *text, char **ret_state, int *ret_exit_code);
/* (transfer full) (nullable): the value of KEY= in `scontrol show job -o`
 * output (a whole field, up to the next blank). */
char *cmdb_slurm_job_field (const char *text, const char *key);
/* (transfer full) (nullable): the line of `scontrol --oneliner show job
 * ARRAY` output that holds task @task of the array @array_job_id: the
 * record whose ArrayTaskId names it (a task Slurm split off, or the range
 * still pending), else the array's own record (JobId=ARRAY: the tasks
 * cancelled while pending). NULL when there is neither. */
char *cmdb_slurm_array_task_record (const char *text, const char *array_job_id, guint task);
/* TRUE for a state after which the job does nothing more. */
gboolean cmdb_slurm_state_is_final (const char *state);
/* TRUE for a state in which the job's script runs. */
gboolean cmdb_slurm_state_is_running (const char *state);
/* Reads CMDB_SLURM_EXIT_NAME's text "CODE TIME": FALSE when malformed
 * (being written). @ret_end_time (transfer full) (nullable). */
gboolean cmdb_slurm_parse_exit (const char *text, int *ret_exit_code, char **ret_end_time);
/* (transfer none): one line saying what went wrong, from a Slurm tool's
 * stderr (controller unreachable, unknown partition, ...). */
const char *cmdb_slurm_summarize_error (const char *tool_stderr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CmdbSlurmOptions, cmdb_slurm_options_free)

G_END_DECLS
