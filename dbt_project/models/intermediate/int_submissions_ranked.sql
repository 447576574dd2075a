-- Every file received by the night's as-of moment, and for each valid return its
-- rank among the returns for its school and term: newest first (the newest is the
-- one in force), with when the first of them came (which says if it was late).
with submissions as (
    select * from {{ ref('stg_pipeline__submissions') }}
),

received_by_as_of as (
    select * from submissions
    where received_at <= {{ as_of_moment() }}
),

loaded_returns as (
    -- a return sent as a CSV pair is two files and one submission
    select
        submission_id,
        urn,
        academic_year,
        term,
        max(received_at) as received_at
    from received_by_as_of
    where outcome = 'loaded' and urn is not null
    group by submission_id, urn, academic_year, term
),

ranked_returns as (
    select
        submission_id,
        row_number() over (
            partition by urn, academic_year, term
            order by received_at desc, submission_id desc
        ) as recency_rank,
        min(received_at) over (partition by urn, academic_year, term) as first_received_at
    from loaded_returns
)

select
    received_by_as_of.submission_id,
    received_by_as_of.file_name,
    received_by_as_of.landing_path,
    received_by_as_of.sha256,
    received_by_as_of.urn,
    received_by_as_of.academic_year,
    received_by_as_of.term,
    received_by_as_of.received_at,
    received_by_as_of.processed_at,
    received_by_as_of.outcome,
    received_by_as_of.first_error,
    received_by_as_of.problem_count,
    received_by_as_of.contract_version,
    received_by_as_of.run_id,
    received_by_as_of.stored_path,
    ranked_returns.recency_rank,
    ranked_returns.first_received_at
from received_by_as_of
left join ranked_returns
    on received_by_as_of.submission_id = ranked_returns.submission_id
