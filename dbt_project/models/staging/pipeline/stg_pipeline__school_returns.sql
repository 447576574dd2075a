with source_school_returns as (
    select * from {{ source('pipeline', 'raw_school_returns') }}
)

select
    submission_id,
    urn,
    academic_year,
    term,
    census_date,
    number_on_roll,
    senco_designated,
    senco_appointed_date,
    senco_qualified_teacher,
    senco_award,
    sen_information_report_url,
    sen_information_report_updated,
    accessibility_plan_updated,
    notional_sen_budget_gbp,
    sen_spend_gbp,
    parent_concerns_logged,
    file_name,
    sha256,
    received_at,
    loaded_at,
    contract_version,
    run_id
from source_school_returns
