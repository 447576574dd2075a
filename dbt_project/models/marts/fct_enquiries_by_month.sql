-- One row per month and theme, and per month over every theme ('all'): SENDIASS
-- enquiries received, and of them complaints, every enquiry counted (about a school
-- or not), for the pattern over time.
with enquiries as (
    select * from {{ ref('fct_enquiries') }}
),

themes as (
    select * from {{ ref('stg_reference__enquiry_themes') }}
),

monthly as (
    select
        theme,
        cast(date_trunc('month', received_date) as date) as received_month,
        count(*) as enquiries,
        count(*) filter (where is_complaint = 'Y') as complaints
    from enquiries
    group by all
),

monthly_totals as (
    select
        'all' as theme,
        received_month,
        cast(sum(enquiries) as bigint) as enquiries,
        cast(sum(complaints) as bigint) as complaints
    from monthly
    group by received_month
),

months_and_totals as (
    select * from monthly
    union all
    select * from monthly_totals
)

select
    months_and_totals.received_month,
    months_and_totals.theme,
    months_and_totals.enquiries,
    months_and_totals.complaints,
    coalesce(themes.theme_label, months_and_totals.theme) as theme_label
from months_and_totals
left join themes
    on months_and_totals.theme = themes.theme
