-- One row per SENDIASS enquiry, with the school's phase and locality and the
-- academic term it fell in, so patterns can be set beside duty flags.
with enquiries as (
    select * from {{ ref('stg_pipeline__enquiries') }}
),

schools as (
    select * from {{ ref('dim_school') }}
),

deduplicated as (
    -- a month's file sent again (corrected) replaces the earlier rows of that month
    select
        *,
        row_number() over (partition by enquiry_ref order by received_at desc) as recency_rank
    from enquiries
)

select
    deduplicated.enquiry_ref,
    deduplicated.received_date,
    deduplicated.urn,
    schools.school_name,
    schools.phase,
    schools.locality,
    deduplicated.theme,
    deduplicated.is_complaint,
    deduplicated.closed_date,
    case
        when month(deduplicated.received_date) >= 9
            then
                year(deduplicated.received_date) || '-'
                || right(cast(year(deduplicated.received_date) + 1 as varchar), 2)
        else
            (year(deduplicated.received_date) - 1) || '-'
            || right(cast(year(deduplicated.received_date) as varchar), 2)
    end as academic_year,
    case
        when month(deduplicated.received_date) >= 9 then 'autumn'
        when month(deduplicated.received_date) <= 4 then 'spring'
        else 'summer'
    end as term
from deduplicated
left join schools
    on deduplicated.urn = schools.urn
where deduplicated.recency_rank = 1
