-- One row per file received by the night's as-of moment, with what became of it
-- and whether it is in force.
with submissions as (
    select * from {{ ref('int_submissions_ranked') }}
)

select
    run_id,
    landing_path,
    file_name,
    sha256,
    submission_id,
    urn,
    academic_year,
    term,
    received_at,
    processed_at,
    outcome,
    first_error,
    problem_count,
    stored_path,
    case when outcome = 'loaded' and recency_rank = 1 then 'Y' else 'N' end as in_force,
    case
        when outcome = 'loaded' and recency_rank > 1 then 'superseded' else outcome
    end as receipt
from submissions
