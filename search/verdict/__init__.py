"""The verdict: each family's configuration chosen (selection) and retrained with its Keras default on shared
replicates, scored on the test split (evaluation, as jobs any worker runs), the statistics (CIs, paired tests with Holm, Friedman/Nemenyi), the report and its
renderings (Markdown, JSON, terminal table, plots), and the comparison across datasets.

Public names are listed here and load lazily (see :mod:`search._exports`); modules outside this package
import only these.
"""

from search._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "evaluation": ["USER_ATTR_EVALUATION", "EvaluationPlan", "RunJobs", "evaluate_study", "evaluation_seeds",
                       "selection_seeds", "train_with_seeds"],
        "jobs": ["USER_ATTR_JOB", "USER_ATTR_SCORES", "Job", "JobBoard", "job_objective", "train_job",
                 "verdict_study_name"],
        "models": ["ModelSink"],
        "selection": ["best_trials", "choose", "configuration", "equal_effort", "top_candidates"],
        "report": ["build_report", "default_rope"],
        "glance": ["description", "headline", "ranking", "run_name", "verdict_metrics"],
        "render": ["chain_line", "family_table_rows", "summary_metrics", "tuning_line", "variance_line"],
        "variance": ["decompose", "seed_and_split", "two_way"],
        "artifacts": ["study_files", "study_plots"],
        "plots": ["figure_bytes", "importances_png", "pyplot"],
        "tables": ["print_report"],
        "datasets": ["cross_dataset", "cross_dataset_markdown"],
        "rebuild": ["StoredStudy", "load_repeats", "load_report", "load_stored_study", "log_repeats", "print_repeats",
                    "rebuild_reports", "repeats_files"],
        "repeats": ["build_repeats_report"],
    },
)
