-- One row per file received, with what became of it and whether it is in force.
with submissions as (
    select * from {{ ref('stg_pipeline__submissions') }}
),

ranked_returns as (
    select * from {{ ref('int_returns_ranked') }}
)

select
    submissions.run_id,
    submissions.landing_path,
    submissions.file_name,
    submissions.sha256,
    submissions.submission_id,
    submissions.urn,
    submissions.academic_year,
    submissions.term,
    submissions.received_at,
    submissions.processed_at,
    submissions.outcome,
    submissions.first_error,
    submissions.problem_count,
    submissions.stored_path,
    case
        when submissions.outcome = 'loaded' and ranked_returns.recency_rank = 1 then 'Y'
        else 'N'
    end as in_force,
    case
        when
            submissions.outcome = 'loaded' and ranked_returns.recency_rank > 1
            then 'superseded'
        else submissions.outcome
    end as receipt
from submissions
left join ranked_returns
    on submissions.submission_id = ranked_returns.submission_id
