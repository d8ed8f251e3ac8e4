! Example 5: self-heating burns at constant density, the operator-split
! burn step of a stellar code (docs/burn_modes.md): T (intent inout) follows
! the energy released through the EOS.
!
!   05_self_heating [NETWORK]
!
! A C/O runaway (2e9 K, 1e7 g/cm^3) with and without thermal neutrino losses,
! then 16 zones in an OpenMP loop of one-zone calls and in one zone call.
program self_heating
  !$ use omp_lib, only: omp_get_max_threads
  use nnn
  use example_utils, only: die
  implicit none

  integer, parameter :: nz = 16
  type(nnn_network_t) :: net
  character(len=512) :: network
  real(dp) :: T, eps_nuc, eps_nu, eps_th, Tz(nz), Tb(nz), rho(nz), e(nz), enu(nz)
  real(dp), allocatable :: X(:), X0(:), Xz(:, :), Xb(:, :)
  integer :: ierr, k, ic, io, zerr(nz), zs(nz)
  logical :: thermal

  network = 'approx21_cr60_plus_co56'
  if (command_argument_count() >= 1) call get_command_argument(1, network)
  call nnn_load_network(net, network, ierr)
  if (ierr /= NNN_OK) call die('nnn_load_network', ierr)
  allocate (X(nnn_n_species(net)), X0(nnn_n_species(net)), Xz(nnn_n_species(net), nz), &
      Xb(nnn_n_species(net), nz))
  call nnn_isotope_index(net, 'c12', ic, ierr)
  call nnn_isotope_index(net, 'o16', io, ierr)
  X0 = 0
  X0(ic) = 0.5_dp
  X0(io) = 0.5_dp
  do k = 0, 1
    thermal = k == 1
    X = X0
    T = 2e9_dp
    call nnn_burn_self_heating(net, T, 1e7_dp, X, 1e-2_dp, eps_nuc, eps_nu, ierr, &
        thermal_neutrinos=thermal, eps_nu_thermal=eps_th)
    if (ierr /= NNN_OK) call die('nnn_burn_self_heating', ierr)
    write (*, '(a,l1,a,es13.6,a,es13.6,a,es10.3)') 'thermal neutrinos ', thermal, ': T(1e-2 s) = ', T, &
        ' K, eps_nuc = ', eps_nuc, ' erg/g, thermal loss (erg/g/s) ', eps_th
  end do
  ! zones 1.5e9 .. 3e9 K: one call per zone in an OpenMP loop, one shared net
  do k = 1, nz
    Tz(k) = 1.5e9_dp + 1e8_dp * (k - 1)
    rho(k) = 1e7_dp
    Xz(:, k) = X0
  end do
  Tb = Tz
  Xb = Xz
  !$omp parallel do schedule(dynamic, 1) default(shared) private(k)
  do k = 1, nz
    call nnn_burn_self_heating(net, Tz(k), rho(k), Xz(:, k), 1e-3_dp, e(k), enu(k), zerr(k))
  end do
  !$omp end parallel do
  if (any(zerr /= NNN_OK)) call die('nnn_burn_self_heating (zone loop)', maxval(zerr))
  ! the same zones in one call on the library's own threads
  call nnn_burn_zones_self_heating(net, Tb, rho, Xb, 1e-3_dp, e, enu, ierr, zone_status=zs)
  if (ierr /= NNN_OK) call die('nnn_burn_zones_self_heating', ierr)
  write (*, '(a,es10.3,a,es10.3,a)') 'zones: T(1e-3 s) from ', minval(Tz), ' to ', maxval(Tz), ' K'
  write (*, '(a,es10.3)') 'zone loop vs zone call: max |dT|/T = ', maxval(abs(Tz - Tb) / Tb)
  call nnn_free_network(net)
end program self_heating
